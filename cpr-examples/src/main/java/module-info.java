import org.jspecify.annotations.NullMarked;

/**
 * The programs that show qemu-cpr-java at work: the two examples of QEMU's cpr-reboot documentation
 * as Java programs, the {@code cpr} command-line tool, and the one-command demo. An application,
 * not a library: nothing here is API. It ships as the executable jar {@code
 * cpr-examples/target/cpr.jar}.
 */
@NullMarked
module io.github.qemucpr.examples {
  requires static transitive org.jspecify;
  requires io.github.qemucpr.api;
  requires io.github.qemucpr.qmp;
  requires io.github.qemucpr.qga;
  requires io.github.qemucpr.launcher;
  requires io.github.qemucpr.testing;
  requires tools.jackson.databind;
  requires transitive info.picocli; // Main.commandLine returns a picocli CommandLine
  requires java.logging;
  requires java.management; // the many-clients benchmark counts threads and heap
  requires jdk.management; // the QMP speed benchmark reads the JVM's CPU time

  exports io.github.qemucpr.examples;
  exports io.github.qemucpr.examples.cli;
  exports io.github.qemucpr.examples.demo;

  // picocli reads and sets the annotated fields of the commands reflectively.
  opens io.github.qemucpr.examples.cli to
      info.picocli;
}
