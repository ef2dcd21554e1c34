/// The tool's version, printed by `--version` and written into reports and manifests.
public enum LogWardenVersion {
  public static let current = "0.1.0"
}
