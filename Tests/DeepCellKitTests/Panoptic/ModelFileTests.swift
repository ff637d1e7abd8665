import Foundation
import XCTest

@testable import DeepCellKit

/// The model file: save/load round trip, numpy interop, and bad files.
final class ModelFileTests: XCTestCase {
  func testRoundTripKeepsWeightsAndOutputs() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("m.npz").path
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(), seed: 11)
    var description = ModelDescription(architecture: net.configuration)
    description.training["epochs"] = "3"
    try ModelFile.save(net, description: description, to: path)
    let (loaded, read) = try ModelFile.load(path)
    XCTAssertEqual(read, description)
    XCTAssertEqual(loaded.registry.parameters.map(\.name), net.registry.parameters.map(\.name))
    for p in net.registry.parameters {
      XCTAssertEqual(loaded.registry[p.name]!.value.values, p.value.values, p.name)
    }
    var rng = RandomGenerator(seed: 2)
    let x = try Tensor(TensorShape(1, 1, 16, 16), nchw: (0..<256).map { _ in rng.uniform(0, 1) })
    let a = try net.forward(x, training: false).map { $0.nchwValues() }
    let b = try loaded.forward(x, training: false).map { $0.nchwValues() }
    XCTAssertEqual(a, b)
  }

  func testNumpyOpensTheModelFile() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("m.npz").path
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(), seed: 4)
    try ModelFile.save(
      net, description: ModelDescription(architecture: net.configuration), to: path)
    let out = try runPython(
      """
      import sys, json, zipfile, numpy as np
      z = np.load(sys.argv[1])
      k = z['P1/kernel']
      meta = json.loads(zipfile.ZipFile(sys.argv[1]).read('model.json'))
      n = sum(z[name].size for name in z.files if name != 'model.json')
      print(k.shape, k.dtype, meta['architecture']['featureSize'], n, float(z['conv_channels/kernel'][0, 0, 1, 2]))
      """, [path])
    let expected = net.registry["conv_channels/kernel"]!.exported().floats()[1 * 3 + 2]
    XCTAssertEqual(
      out.trimmingCharacters(in: .whitespacesAndNewlines),
      "(3, 3, 8, 8) float32 8 \(net.registry.elementCount) \(Double(expected))")
  }

  func testBadModelFilesAreRejected() throws {
    let dir = try TestPaths.temporaryFolder(self)
    let path = dir.appendingPathComponent("m.npz").path
    let net = try PanopticNet(PanopticNetTests.tinyConfiguration(), seed: 4)
    try ModelFile.save(
      net, description: ModelDescription(architecture: net.configuration), to: path)
    func expectBadData(_ file: String, _ expecting: PanopticNetConfiguration? = nil) {
      XCTAssertThrowsError(try ModelFile.load(file, expecting: expecting)) { error in
        let e = error as? DeepCellError
        XCTAssertEqual(e?.kind, .badData, "\(error)")
        XCTAssertEqual(e?.subject, file)
      }
    }
    // Another architecture than requested.
    var other = PanopticNetTests.tinyConfiguration()
    other.featureSize = 16
    expectBadData(path, other)
    // Truncated (corrupt) file.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let truncated = dir.appendingPathComponent("cut.npz").path
    try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
    expectBadData(truncated)
    // An NPZ without model.json.
    let plain = dir.appendingPathComponent("plain.npz").path
    let w = try NPZWriter(path: plain)
    try w.write("X", NDArray(shape: [1, 2], values: [Float(1), 2]))
    try w.finish()
    expectBadData(plain)
    // Weights of another network under this model.json: a weight is missing or misshapen.
    let mixed = dir.appendingPathComponent("mixed.npz").path
    let big = try PanopticNet(other, seed: 0)
    let mw = try NPZWriter(path: mixed)
    for p in big.registry.parameters { try mw.write(p.name, p.exported()) }
    let json = try JSONEncoder().encode(ModelDescription(architecture: net.configuration))
    try mw.writeMember(ModelFile.descriptionMember, bytes: [UInt8](json))
    try mw.finish()
    expectBadData(mixed)
  }
}
