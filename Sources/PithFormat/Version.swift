/// Pith's release, printed by `pith --version` and `pith-run --version`.
public enum PithVersion {
    public static let string = "0.19.0"
}
