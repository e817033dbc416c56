import PithNN

extension Recipe {
    /// Finds `nameOrPath` as a file, else as `modelsDirectory/NAME.recipe`, and parses it
    /// (read with at most `FileBytes.Limit.recipe` bytes).
    init(_ nameOrPath: String, modelsDirectory: String) throws(PithError) {
        let path = try ModelFiles.find(nameOrPath, modelsDirectory: modelsDirectory, extension: "recipe", kind: "recipe")
        let bytes = try FileBytes.read(path, limit: FileBytes.Limit.recipe)
        try self.init(parsing: bytes, path: path)
    }
}
