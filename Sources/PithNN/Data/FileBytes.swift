import PithIO

/// Reads a whole file with a bound on what it reads, with errors that name the file: the
/// toolchain's caps (`Limit`) over PithIO's `BoundedFile`, which refuses devices, pipes,
/// sockets and folders before any read, and a file that changes size while it is read.
public enum FileBytes {
    /// The cap, in bytes, for each kind of file Pith reads. Every reader passes one.
    public enum Limit {
        /// A checkpoint (`Checkpoint`): magic, version and header length (20 bytes), the
        /// JSON header (≤ `Checkpoint.maxHeader`), the float count (8), at most
        /// `Checkpoint.maxFloats` floats of 4 bytes, and the CRC (4): about 8 GiB.
        public static let checkpoint = 20 + Checkpoint.maxHeader + 8 + 4 * Checkpoint.maxFloats + 4
        /// A data file as stored (CSV, IDX, NPY or NPZ, plain or gzip): 1 GiB (`IOLimits.maxInputBytes`).
        public static let dataFile = IOLimits.maxInputBytes
        /// A gzip data file once gunzipped (CSV, IDX or NPY), or one deflated NPZ entry: 1 GiB.
        public static let decompressedData = 1 << 30
        /// A recipe (`pith pipeline`): 1 MiB of text.
        public static let recipe = 1 << 20
        /// A model description (`ModelDescription`): 1 MiB of text.
        public static let modelDescription = 1 << 20
        /// A pipeline manifest (JSON): 16 MiB.
        public static let manifest = 1 << 24
        /// A `.pith` file: 4 GiB, the format's own largest file (PithFormat's `Limits.maxFileSize`).
        public static let pithFile = 1 << 32
        /// An executable (the `pith-run` runner): 256 MiB.
        public static let executable = 1 << 28
    }

    /// The file's bytes; refuses missing files, anything that is not a regular file, and
    /// files of more than `limit` bytes (one of `Limit`; the default is 2 GiB).
    public static func read(_ path: String, limit: Int = 1 << 31) throws(PithError) -> [UInt8] {
        do throws(IOFailure) { return try BoundedFile.read(path, limit: limit) } catch { throw PithError(error) }
    }

    /// The file's bytes, gunzipped when they start with the gzip magic: at most
    /// `Limit.dataFile` bytes read and `Limit.decompressedData` bytes gunzipped.
    static func readMaybeGzip(_ path: String) throws(PithError) -> [UInt8] {
        let raw = try read(path, limit: Limit.dataFile)
        guard Gzip.isGzip(raw) else { return raw }
        switch Gzip.decompress(raw, limit: Limit.decompressedData) {
        case let .success(bytes): return bytes
        case let .failure(problem): throw .badFile(path: path, problem: problem.text)
        }
    }
}

extension PithError {
    /// A PithIO failure as the toolchain reports it: `badFile` at the file (and line).
    public init(_ failure: IOFailure) {
        self = .badFile(path: failure.location, problem: failure.problem)
    }
}
