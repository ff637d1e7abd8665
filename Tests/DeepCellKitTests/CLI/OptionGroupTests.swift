import ArgumentParser
import XCTest

@testable import CLI
@testable import DeepCellKit

/// The CLI target's option groups (issue 17): their defaults are the library's, flags map onto
/// the library's settings, and bad values are refused while parsing.
final class OptionGroupTests: XCTestCase {
  func testTrackingParameterDefaultsAndFlags() throws {
    XCTAssertEqual(try TrackingParameterOptions.parse([]).parameters, TrackingParameters())
    let p = try TrackingParameterOptions.parse([
      "--max-distance", "40", "--max-gap", "2", "--no-motion",
    ]).parameters
    XCTAssertEqual(p.maxDistance, 40)
    XCTAssertEqual(p.maxGap, 2)
    XCTAssertFalse(p.predictMotion)
    // The division join and merge repair (issue 18): flags map on, bad values are refused.
    let j = try TrackingParameterOptions.parse([
      "--division-join", "3", "--division-join-contact", "0.7", "--division-join-area", "0.8",
      "--no-split-merges", "--late-daughter-gap", "3", "--late-daughter-area", "0.6",
    ]).parameters
    XCTAssertEqual(j.lateDaughterGap, 3)
    XCTAssertEqual(j.lateDaughterArea, 0.6)
    XCTAssertEqual(TrackingParameters().lateDaughterGap, 0)  // off unless asked for
    XCTAssertEqual(j.divisionJoin, 3)
    XCTAssertEqual(j.divisionJoinContact, 0.7)
    XCTAssertEqual(j.divisionJoinArea, 0.8)
    XCTAssertFalse(j.splitMerges)
    XCTAssertTrue(TrackingParameters().splitMerges)
    for (flag, value) in [
      ("--division-join", "-1"), ("--division-join-contact", "-0.5"),
      ("--division-join-area", "nan"), ("--late-daughter-gap", "-1"),
      ("--late-daughter-area", "inf"),
    ] {
      let bad = try TrackingParameterOptions.parse(["\(flag)=\(value)"]).parameters
      XCTAssertThrowsError(try bad.validate(), flag) {
        XCTAssertEqual(($0 as? DeepCellError)?.subject, flag)
      }
    }
  }

  func testAugmentationOptionsMapOntoSettings() throws {
    XCTAssertEqual(try AugmentationOptions.parse([]).settings(), AugmentationSettings())
    let s = try AugmentationOptions.parse([
      "--crop", "128,64", "--no-flips", "--rotation", "0", "--zoom-min", "0.5", "--fill-mode",
      "reflect", "--targets", "fgbg",
    ]).settings()
    XCTAssertEqual(s.cropSize, [128, 64])
    XCTAssertFalse(s.horizontalFlip || s.verticalFlip)
    XCTAssertEqual(s.zoomRange, [0.5, 2])
    XCTAssertEqual(s.fillMode, .reflect)
    XCTAssertEqual(s.targets.map(\.arrayName), [ArrayName.fgbg])
    XCTAssertNil(try AugmentationOptions.parse(["--no-crop"]).settings().cropSize)
    XCTAssertThrowsError(try AugmentationOptions.parse(["--crop", "0"]))
    XCTAssertThrowsError(try AugmentationOptions.parse(["--targets", "nuclei"]))
    XCTAssertThrowsError(try AugmentationOptions.parse(["--inner-alpha", "x"]))
  }

  func testTrainingAndArchitectureOptions() throws {
    let training = try TrainingOptions.parse(["--epochs", "3", "--lr", "0.01", "--seed", "5"])
    XCTAssertEqual(training.settings.epochs, 3)
    XCTAssertEqual(training.settings.learningRate, 0.01)
    XCTAssertEqual(training.settings.seed, 5)
    XCTAssertEqual(training.settings.batchSize, TrainingSettings().batchSize)
    XCTAssertThrowsError(try TrainingOptions.parse(["--validation-split", "1"]))
    XCTAssertThrowsError(try TrainingOptions.parse(["--diameter", "-3"]))
    let architecture = try ArchitectureOptions.parse([
      "--backbone-levels", "3, 4,5", "--feature-size", "64", "--no-location",
    ]).configuration(inputSize: 128)
    XCTAssertEqual(architecture.backboneLevels, [3, 4, 5])
    XCTAssertEqual(architecture.featureSize, 64)
    XCTAssertEqual(architecture.inputSize, 128)
    XCTAssertFalse(architecture.location)
  }

  func testScaleNormalizationAndConversionOptions() throws {
    XCTAssertEqual(try NucleusScaleOptions.parse([]).scale(), .modelDefault)
    XCTAssertEqual(try NucleusScaleOptions.parse(["--diameter", "auto"]).scale(), .automatic)
    XCTAssertEqual(try NucleusScaleOptions.parse(["--diameter", "40"]).scale(), .diameter(40))
    XCTAssertEqual(
      try NucleusScaleOptions.parse(["--image-mpp", "0.5"]).scale(), .imagePixelSize(0.5))
    XCTAssertThrowsError(try NucleusScaleOptions.parse(["--diameter", "4", "--image-mpp", "1"]))

    XCTAssertTrue(try NormalizationOptions.parse([]).normalization is HistogramNormalization)
    XCTAssertNil(try NormalizationOptions.parse(["--method", "none"]).normalization)
    XCTAssertThrowsError(
      try NormalizationOptions.parse(["--method", "zscore", "--kernel-size", "8"]))

    var conversion = StackConversion()
    try ConversionOptions.parse(["--dtype", "uint8", "--percentiles", "1,99", "--frames", "0:4:2"])
      .configure(&conversion)
    XCTAssertEqual(conversion.dtype, .uint8)
    XCTAssertEqual(conversion.frames, FrameSlice(parsing: "0:4:2"))
    XCTAssertThrowsError(try ConversionOptions.parse(["--percentiles", "9,1"]))
    XCTAssertThrowsError(try ConversionOptions.parse(["--pattern", "f{}.png"]))
  }

  func testWatershedSettingOptions() throws {
    let options = try WatershedSettingOptions.parse([
      "--radius", "5", "--maxima-algorithm", "peak_local_max", "--exclude-border",
    ])
    XCTAssertEqual(options.overrides.radius, 5)
    XCTAssertEqual(options.overrides.maximaAlgorithm, "peak_local_max")
    XCTAssertEqual(options.base.excludeBorder, .radius)
    XCTAssertThrowsError(try WatershedSettingOptions.parse(["--maxima-algorithm", "otsu"]))
  }
}
