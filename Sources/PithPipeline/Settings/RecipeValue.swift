import PithNN

/// One value of a recipe's stage object (`"epochs": 40`), read as the option it sets:
/// a whole number, a number, a flag, a string or one of an option's named choices.
public struct RecipeValue: Sendable {
    public let json: JSONValue

    public init(_ json: JSONValue) { self.json = json }

    public func int(_ key: String) throws(SettingsError) -> Int {
        guard case let .number(n) = json, n == n.rounded(), abs(n) < 1e15 else { throw SettingsError("'\(key)' must be a whole number") }
        return Int(n)
    }

    public func unsigned(_ key: String) throws(SettingsError) -> UInt64 {
        guard case let .number(n) = json, let v = UInt64(exactly: n) else { throw SettingsError("'\(key)' must be a whole number ≥ 0") }
        return v
    }

    public func float(_ key: String) throws(SettingsError) -> Float {
        guard case let .number(n) = json, n.isFinite, abs(n) <= Double(Float.greatestFiniteMagnitude) else { throw SettingsError("'\(key)' must be a number") }
        return Float(n)
    }

    public func double(_ key: String) throws(SettingsError) -> Double {
        guard case let .number(n) = json, n.isFinite else { throw SettingsError("'\(key)' must be a number") }
        return n
    }

    public func bool(_ key: String) throws(SettingsError) -> Bool {
        guard case let .bool(b) = json else { throw SettingsError("'\(key)' must be true or false") }
        return b
    }

    public func string(_ key: String) throws(SettingsError) -> String {
        guard case let .string(s) = json else { throw SettingsError("'\(key)' must be a string") }
        return s
    }

    /// One of `T`'s cases, by its raw value.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(SettingsError) -> T where T.RawValue == String {
        let s = try string(key)
        guard let v = T(rawValue: s) else {
            throw SettingsError("'\(key)' must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")) (found '\(s)')")
        }
        return v
    }
}
