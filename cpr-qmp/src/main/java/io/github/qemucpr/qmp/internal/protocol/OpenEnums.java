package io.github.qemucpr.qmp.internal.protocol;

/** The open enums of the typed commands, registered in one place as the command set grows. */
final class OpenEnums {
  private OpenEnums() {}

  static void register(QmpJsonModule module) {
    // Typed command value types beyond MigrationStatus and RunState are added here.
  }
}
