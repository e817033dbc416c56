import CPithRuntimeKernels
import Foundation
import PithFormat
import PithNN
@testable import PithQuant
import PithRuntime
import XCTest

/// The integer LSTM (docs/quantization.md, "Integer LSTM"): the runtime's C kernel and the
/// quantizer's Swift simulation agree bit for bit, on MNIST test images where MNIST is
/// here (rnn-student, rnn-teacher, two stacked LSTMs) and on the built-in digits otherwise;
/// and the two sides build the same activation tables.
final class IntegerLSTMTests: XCTestCase {
    func testTheKernelsTablesAreTheSimulations() {
        let sigmoid = withUnsafeBytes(of: pith_q_sigmoid_table) { Array($0.bindMemory(to: Int16.self)) }
        let tanh = withUnsafeBytes(of: pith_q_tanh_table) { Array($0.bindMemory(to: Int16.self)) }
        XCTAssertEqual(sigmoid.map(Int32.init), IntegerSimulation.sigmoidTable)
        XCTAssertEqual(tanh.map(Int32.init), IntegerSimulation.tanhTable)
        // The steps the AVX-512 cells interpolate with: T[k+1] − T[k].
        let sigmoidStep = withUnsafeBytes(of: pith_q_sigmoid_step) { Array($0.bindMemory(to: Int16.self)) }
        let tanhStep = withUnsafeBytes(of: pith_q_tanh_step) { Array($0.bindMemory(to: Int16.self)) }
        XCTAssertEqual(sigmoidStep, (0..<512).map { sigmoid[$0 + 1] - sigmoid[$0] })
        XCTAssertEqual(tanhStep, (0..<512).map { tanh[$0 + 1] - tanh[$0] })
        // Every Q3.12 input, through both interpolations.
        for z in Int32(-32768)...32767 where z % 7 == 0 || abs(z) > 32700 {
            XCTAssertEqual(pith_q_sigmoid(z), IntegerSimulation.lookup(IntegerSimulation.sigmoidTable, z), "σ at \(z)")
            XCTAssertEqual(pith_q_tanh(z), IntegerSimulation.lookup(IntegerSimulation.tanhTable, z), "tanh at \(z)")
        }
        // The interpolated tables against the functions: within 4 units of 2^-15.
        for z in stride(from: Int32(-32768), through: 32767, by: 13) {
            let x = Double(z) / 4096
            XCTAssertEqual(Double(pith_q_sigmoid(z)), 32768 / (1 + Foundation.exp(-x)), accuracy: 4, "σ(\(x))")
            XCTAssertEqual(Double(pith_q_tanh(z)), 32768 * Foundation.tanh(x), accuracy: 4, "tanh(\(x))")
        }
    }

    func testRuntimeEqualsTheSimulationOnLSTMs() throws {
        let (splits, models) = try IntegerSimulationTests.workloads(
            ["rnn-student", "rnn-teacher", "rnn-stacked"], digitsNames: ["rnn-digits", "rnn-stacked-digits"],
            inline: ["rnn-stacked": "name rnn-stacked\ninput 28 28\nlstm 24 sequence\nlstm 16\ndense 10\n",
                     "rnn-digits": "name rnn-digits\ninput 8 8\nlstm 32\ndense 10\n",
                     "rnn-stacked-digits": "name rnn-stacked\ninput 8 8\nlstm 16 sequence\nlstm 12\ndense 10\n"])
        #if DEBUG
        let count = 40
        #else
        let count = 300
        #endif
        // At initialisation and with every weight ×4 (gates driven into the tables'
        // saturated ends, cells past their calibrated range).
        try IntegerSimulationTests.assertRuntimeEqualsTheSimulation(models, splits, count: count, gains: [1, 4])
    }
}
