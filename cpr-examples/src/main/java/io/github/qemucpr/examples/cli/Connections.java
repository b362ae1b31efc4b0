package io.github.qemucpr.examples.cli;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentException;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Opens the QMP and guest agent connections, turning failures into advice. */
final class Connections {
  /** Long enough for a busy QEMU, short enough that a monitor held by another client shows. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private Connections() {}

  static QmpClient qmp(Path socket) {
    if (!Files.exists(socket)) {
      throw new CliException(
          ExitStatus.ERROR,
          "There is no QMP socket at " + socket + ".",
          "Check the path, and that QEMU runs with -qmp unix:" + socket + ",server=on,wait=off.",
          null);
    }
    try {
      return QmpClient.builder()
          .unixSocket(socket)
          .connectTimeout(CONNECT_TIMEOUT)
          .name("cpr")
          .connect();
    } catch (QmpTimeoutException e) {
      throw new CliException(
          ExitStatus.ERROR,
          "QEMU did not greet on " + socket + " within " + CONNECT_TIMEOUT.toSeconds() + " s.",
          "A QMP socket serves one client at a time: close the other client (another cpr, virsh,"
              + " socat, a JShell session) and try again.",
          e);
    } catch (QmpException e) {
      throw new CliException(
          ExitStatus.ERROR,
          "Could not connect to QEMU's QMP socket " + socket + ": " + e.getMessage(),
          "Check that QEMU runs and was started with -qmp unix:"
              + socket
              + ",server=on,wait=off, and that you may open the socket (root, or its owner).",
          e);
    }
  }

  static GuestAgentClient agent(Path socket) {
    if (!Files.exists(socket)) {
      throw new CliException(
          ExitStatus.ERROR,
          "There is no guest agent socket at " + socket + ".",
          "Check the path, and that QEMU runs with -chardev socket,id=qga0,path="
              + socket
              + ",server=on,wait=off -device virtio-serial-pci -device virtserialport,"
              + "chardev=qga0,name=org.qemu.guest_agent.0; or leave out --qga.",
          null);
    }
    try {
      return GuestAgentClient.builder().unixSocket(socket).name("cpr").connect();
    } catch (GuestAgentException e) {
      throw new CliException(
          ExitStatus.ERROR,
          "Could not open the guest agent socket " + socket + ": " + e.getMessage(),
          "Check that QEMU runs with a virtserialport named org.qemu.guest_agent.0 on that"
              + " socket; or leave out --qga.",
          e);
    }
  }
}
