import ArgumentParser
import DeepCellKit

/// dc-train's network flags (model.md §2): the FPN's backbone levels and width, the
/// featurenet's filters, the location channels. Include with
/// `@OptionGroup var network: ArchitectureOptions`.
public struct ArchitectureOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Backbone levels feeding the FPN, e.g. 1,2,3,4,5.", valueName: "list"))
  public var backboneLevels: String = "1,2,3,4,5"
  @Option(help: "FPN width.") public var featureSize: Int = 256
  @Option(help: "Filters of the featurenet convolutions.") public var backboneFilters: Int = 32
  @Flag(inversion: .prefixedNo, help: "Add the location channels.") public var location = true

  public init() {}

  /// The configuration of the flags for `crop`-pixel square inputs (not yet validated).
  public func configuration(inputSize crop: Int) -> PanopticNetConfiguration {
    var architecture = PanopticNetConfiguration()
    architecture.inputSize = crop
    architecture.location = location
    architecture.featureSize = featureSize
    architecture.backboneFilters = backboneFilters
    architecture.backboneLevels = backboneLevels.split(separator: ",").compactMap {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    return architecture
  }
}
