import Foundation

/// The number of cores to use when a caller asks for "all" (threads = 0).
enum ProcessInfoCores {
  static var active: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
