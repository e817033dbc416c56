import Foundation
import PithNN
import PithTensor

/// The integer LSTM's cell-state scale, from calibration: the cell c is int16 in units of
/// 2^-cell_shift (docs/quantization.md, "Integer LSTM"), so |c| ≤ 32767·2^-cell_shift. The
/// shift is the largest in 0...15 whose range holds the largest |c| the float LSTM reaches
/// on the calibration sequences (|c_t| ≤ t + 1 always, so an LSTM of T steps needs at most
/// ⌈log₂ T⌉ integer bits).
enum LSTMCalibration {
    /// The largest |c_t| over every step, unit and sequence of x (B, T, F): the float cell
    /// recomputed step by step (PyTorch's equations, gates [i | f | g | o]).
    static func cellMagnitude(_ layer: LSTMLayer, _ x: Tensor) -> Float {
        let (batch, steps, features) = (x.shape[0], x.shape[1], x.shape[2])
        let hidden = layer.recurrentWeight.shape[1], rows = 4 * hidden
        // W x_t + b for every step at once: (B·T, 4H).
        let projected = linear(reshape(x, [batch * steps, features]), layer.inputWeight, layer.bias)
        let h = Tensor(zeros: [batch, hidden]), c = Tensor(zeros: [batch, hidden])
        var largest: Float = 0
        func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
        for t in 0..<steps {
            let recurrent = linear(h, layer.recurrentWeight, nil)  // (B, 4H)
            for b in 0..<batch {
                let z = projected.data + (b * steps + t) * rows, r = recurrent.data + b * rows
                for j in 0..<hidden {
                    let i = sigmoid(z[j] + r[j]), f = sigmoid(z[hidden + j] + r[hidden + j])
                    let g = Foundation.tanh(z[2 * hidden + j] + r[2 * hidden + j]), o = sigmoid(z[3 * hidden + j] + r[3 * hidden + j])
                    let cell = f * c.data[b * hidden + j] + i * g
                    c.data[b * hidden + j] = cell
                    h.data[b * hidden + j] = o * Foundation.tanh(cell)
                    largest = max(largest, abs(cell))
                }
            }
        }
        return largest
    }

    /// The cell shift whose int16 range holds `magnitude`.
    static func cellShift(_ magnitude: Float) -> Int {
        guard magnitude > 0, magnitude.isFinite else { return 15 }
        var shift = 15
        while shift > 0 && Double(magnitude) > 32767 / Double(1 << shift) { shift -= 1 }
        return shift
    }
}
