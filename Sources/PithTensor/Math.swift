#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Thin, always-inlined wrappers over the C math library, so that op files need no
// platform imports.
@inline(__always) func _log(_ x: Float) -> Float { logf(x) }
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
@inline(__always) func _cos(_ x: Float) -> Float { cosf(x) }
@inline(__always) func _pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
