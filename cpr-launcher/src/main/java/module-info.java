import org.jspecify.annotations.NullMarked;

/**
 * Starts QEMU with a CPR-ready command line and cleans up after it: the one place that knows QEMU's
 * command line, shared by the examples, the demo, the benchmarks and every module's integration
 * tests. Not needed to use the SDK itself, which talks to a QEMU that the caller started.
 */
@NullMarked
module io.github.qemucpr.launcher {
  requires static transitive org.jspecify;

  exports io.github.qemucpr.launcher;
}
