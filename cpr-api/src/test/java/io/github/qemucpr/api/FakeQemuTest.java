package io.github.qemucpr.api;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.testing.FakeQemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture of the unit tests: a {@link FakeQemu} with one shared 64 MiB file backend, as in the
 * cpr-reboot documentation's Example 1, a real {@link QmpClient} connected to it, and a state
 * directory.
 */
abstract class FakeQemuTest {
  static final long RAM = 64L << 20;

  @TempDir Path dir;
  FakeQemu qemu;
  QmpClient qmp;
  Path ramFile;
  Path stateFile;
  final List<CprProgressEvent> events = new ArrayList<>();

  @BeforeEach
  void startFakeQemu() throws IOException {
    ramFile = Files.createFile(dir.resolve("ram0.img"));
    Path states = Files.createDirectory(dir.resolve("states"));
    stateFile = states.resolve("vm.state");
    qemu = FakeQemu.start();
    qemu.addMemdev(FakeQemu.Memdev.file("ram0", RAM, ramFile));
    qmp = QmpClient.connect(qemu.socketPath());
  }

  @AfterEach
  void stopFakeQemu() {
    qmp.close();
    qemu.close();
  }

  CprSaveBuilder save() {
    return CprReboot.save(qmp).to(stateFile).progressListener(events::add);
  }

  CprRestoreBuilder restore() {
    return CprReboot.restore(qmp).from(stateFile).progressListener(events::add);
  }

  /** The files in the state directory, by name. */
  List<String> stateDirectory() throws IOException {
    try (var files = Files.list(stateFile.getParent())) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
