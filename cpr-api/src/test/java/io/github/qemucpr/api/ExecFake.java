package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import io.github.qemucpr.testing.Responders;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FakeQemu} that offers cpr-exec, with one shared memfd backend, and a client connected to
 * it: the setup of the cpr-exec unit tests. The new command line of {@link #exec} is {@code
 * /bin/sh} serving the same monitor socket, so the fake's migration script plays the exec.
 */
final class ExecFake implements AutoCloseable {
  /** The fake QEMU. */
  final FakeQemu qemu = FakeQemu.start();

  /** The client connected to it. */
  final QmpClient qmp;

  ExecFake() {
    qemu.modes(List.of("normal", "cpr-reboot", "cpr-transfer", "cpr-exec"));
    qemu.addMemdev(FakeQemu.Memdev.memfd("ram0", 64L << 20));
    qmp = QmpClient.connect(qemu.socketPath());
  }

  /**
   * A cpr-exec to {@code state} whose new command line has {@code extra} after the binary; the
   * preflight's one {@code qom-get} (-machine aux-ram-share=on) is answered.
   */
  CprExecBuilder exec(Path state, String... extra) {
    qemu.server().enqueue("qom-get", Responders.returns("true"));
    List<String> command = new ArrayList<>();
    command.add("/bin/sh");
    command.addAll(List.of(extra));
    command.add("-qmp");
    command.add("unix:" + qemu.server().socketPath() + ",server=on,wait=off");
    return CprExec.of(qmp).newCommand(command).stateFile(state);
  }

  @Override
  public void close() {
    qmp.close();
    qemu.close();
  }
}
