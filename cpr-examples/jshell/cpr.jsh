// qemu-cpr-java in JShell. From the repository root, after `mvn -B -DskipTests package`:
//
//   jshell --class-path cpr-examples/target/cpr.jar --startup DEFAULT --startup cpr-examples/jshell/cpr.jsh
//
// It imports the SDK and defines a few helpers; everything else is the SDK itself.

import io.github.qemucpr.api.*;
import io.github.qemucpr.qmp.*;
import io.github.qemucpr.qmp.command.*;
import io.github.qemucpr.qmp.event.*;
import io.github.qemucpr.qga.*;
import io.github.qemucpr.launcher.*;
import java.nio.file.*;
import java.time.Duration;

/** Connects to QEMU's QMP socket; close it when done (the socket serves one client at a time). */
QmpClient connect(String qmpSocket) {
  return QmpClient.connect(Path.of(qmpSocket));
}

QmpClient connect(Path qmpSocket) {
  return QmpClient.connect(qmpSocket);
}

/** Connects to the guest agent's socket. */
GuestAgentClient agent(String qgaSocket) {
  return GuestAgentClient.connect(Path.of(qgaSocket));
}

GuestAgentClient agent(Path qgaSocket) {
  return GuestAgentClient.connect(qgaSocket);
}

/** query-status: whether the VM runs, and its run state. */
RunStatus status(QmpClient qmp) {
  return qmp.execute(new QueryStatus());
}

/** The preflight of a save to stateFile: every problem at once. Changes nothing. */
PreflightReport check(QmpClient qmp, String stateFile) {
  return CprReboot.save(qmp).to(Path.of(stateFile).toAbsolutePath()).check();
}

/** Saves with cpr-reboot, printing the progress, and quits QEMU. */
CprSaveResult save(QmpClient qmp, String stateFile) {
  return CprReboot.save(qmp).to(Path.of(stateFile).toAbsolutePath())
      .progressListener(System.out::println).run();
}

/** Saves, suspending the guest through its agent first. */
CprSaveResult save(QmpClient qmp, GuestAgentClient qga, String stateFile) {
  return CprReboot.save(qmp).to(Path.of(stateFile).toAbsolutePath()).guestAgent(qga)
      .suspendPolicy(SuspendPolicy.ALWAYS).progressListener(System.out::println).run();
}

/** Restores into a QEMU started with -incoming defer, printing the progress. */
CprRestoreResult restore(QmpClient qmp, String stateFile) {
  return CprReboot.restore(qmp).from(Path.of(stateFile).toAbsolutePath())
      .progressListener(System.out::println).run();
}

/**
 * A launcher for the little test guest (built by scripts/build-test-guest.sh): start() boots it,
 * startIncoming() starts the QEMU to restore into. close() deletes its RAM file.
 */
QemuLauncher testGuest() {
  return QemuLauncher.builder().testGuest(TestGuestImage.locateOrBuild()).build();
}

System.out.println("""
    qemu-cpr-java is loaded. Try:
      var qmp = connect("/run/vm1/qmp.sock");     status(qmp)   qmp.execute(new QueryMemdev())
      check(qmp, "/var/lib/vm1/vm.state")         the preflight of a save; changes nothing
      save(qmp, "/var/lib/vm1/vm.state")          restore(qmp, FILE) on a QEMU with -incoming defer
      var vm = testGuest(); var q1 = vm.start();  a test VM to play with: connect(q1.qmpSocket())
    """);
