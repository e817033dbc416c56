import PithTensor

/// What a training step minimises, when it is more than the config's loss on the model's
/// logits: distillation (PithDistill) supplies one.
public protocol TrainingObjective: AnyObject {
    /// Trainable tensors beyond the model's (a hint projection): the optimizer updates them
    /// with the model's, and checkpoints keep them after the model's parameters.
    var auxiliaryParameters: [Tensor] { get }

    /// The loss of one batch and the student's logits. x: the batch as the model takes it
    /// (augmented when the recipe augments); `indices`: the batch's rows in the training
    /// split, nil when x was augmented (so that per-sample caches do not apply); `rng`
    /// drives dropout.
    func loss(model: Model, x: Tensor, labels: [Int32], indices: ArraySlice<Int>?, rng: inout PithRandom) -> (loss: Tensor, logits: Tensor)

    /// Whether the loss reads `labels` (mixup, which blends two samples' images, needs an
    /// objective that does not).
    var readsLabels: Bool { get }
}
