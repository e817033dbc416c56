import PithNN
import PithTensor

/// FitNets (Romero et al. 2015): a learned regressor r maps a student layer's output u_s
/// onto a teacher layer's output u_t, and the student is also trained to make them agree:
///
///     L_hint = β · mean((r(u_s) − u_t)²)
///
/// For feature maps (B, C_s, H, W) → (B, C_t, H, W), r is a 1×1 convolution (C_t filters);
/// for flat features (B, F_s) → (B, F_t), a dense layer; for sequences (B, T, D_s) →
/// (B, T, D_t), a dense layer on every token. The spatial sizes (token counts) must agree.
/// FitNets' ½‖·‖² is taken as a mean over elements, so β does not depend on the layer size.
public final class HintRegressor {
    public let layer: Layer
    public let weight: Float

    /// `student`, `teacher`: the two layers' output shapes without the batch axis.
    public init(student: [Int], teacher: [Int], weight: Float, seed: UInt64) throws(PithError) {
        var rng = PithRandom(seed: seed, stream: 0x4117)
        if student.count == 3, teacher.count == 3 {
            guard student[1] == teacher[1], student[2] == teacher[2] else {
                throw .mismatch("hint: the student layer's \(student[1])x\(student[2]) maps and the teacher layer's \(teacher[1])x\(teacher[2]) differ in size")
            }
            layer = .conv(Conv2D(channels: student[0], filters: teacher[0], kernel: 1, stride: 1, padding: 0, rng: &rng))
        } else if student.count == 1, teacher.count == 1 {
            layer = .dense(Dense(inputs: student[0], outputs: teacher[0], rng: &rng))
        } else if student.count == 2, teacher.count == 2 {
            guard student[0] == teacher[0] else {
                throw .mismatch("hint: the student layer's \(student[0]) tokens and the teacher layer's \(teacher[0]) differ in number")
            }
            layer = .dense(Dense(inputs: student[1], outputs: teacher[1], rng: &rng))
        } else {
            throw .mismatch("hint: a student layer of shape \(student) cannot be regressed onto a teacher layer of shape \(teacher) (both feature maps, both sequences or both flat)")
        }
        self.weight = weight
    }

    public var parameters: [Tensor] { layer.parameters }

    /// β · mean((r(u_s) − u_t)²); u_t is a constant.
    public func loss(student: Tensor, teacher: Tensor) -> Tensor {
        var rng = PithRandom(seed: 0)
        let projected = layer.forward(student, training: true, rng: &rng)
        return scaled(meanSquaredError(projected, teacher.scalars), weight)
    }
}
