import PithNN

extension Recipe {
    /// Finds `nameOrPath` as a file, else as `modelsDirectory/NAME.recipe`, else the built-in
    /// recipe of that name, and parses it (read with at most `FileBytes.Limit.recipe` bytes).
    public init(_ nameOrPath: String, modelsDirectory: String) throws(PithError) {
        let found = try ModelFiles.locate(nameOrPath, modelsDirectory: modelsDirectory, extension: "recipe", kind: "recipe",
                                          limit: FileBytes.Limit.recipe)
        try self.init(parsing: found.bytes, path: found.path)
        builtIn = found.builtIn
    }

    /// The folder model paths in the recipe are resolved against first (nil for a built-in recipe).
    public var folder: String? {
        guard !builtIn else { return nil }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
