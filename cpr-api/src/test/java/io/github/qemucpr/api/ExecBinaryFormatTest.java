package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.testing.Responders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the cpr-exec preflight says of a new binary the kernel would not run for QEMU: a script
 * whose interpreter it cannot execute, a program whose loader is missing, a file that is no
 * program. The fake QEMU runs in this JVM, so QEMU's root and user are this process's; the files
 * are real, in a temporary directory.
 */
class ExecBinaryFormatTest {
  private final ExecFake fake = new ExecFake();
  @TempDir Path dir;

  @AfterEach
  void tearDown() {
    fake.close();
  }

  private PreflightReport check(Path binary) {
    fake.qemu.server().enqueue("qom-get", Responders.returns("true"));
    List<String> command =
        List.of(
            binary.toString(),
            "-qmp",
            "unix:" + fake.qemu.server().socketPath() + ",server=on,wait=off");
    return CprExec.of(fake.qmp).newCommand(command).stateFile(dir.resolve("vm.state")).check();
  }

  private Path script(String name, String text) throws IOException {
    Path p = Files.writeString(dir.resolve(name), text);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private static PreflightItem onlyError(PreflightReport report, String code) {
    assertThat(report.errors()).as(report.toString()).hasSize(1);
    PreflightItem item = report.errors().get(0);
    assertThat(item.code().name()).as(report.toString()).isEqualTo(code);
    return item;
  }

  @Test
  void aScriptWhoseInterpreterIsMissingIsRefused() throws IOException {
    Path binary = script("qemu", "#! /nonexistent/bin/interp -x\necho\n");
    PreflightItem item = onlyError(check(binary), "EXEC_SCRIPT_INTERPRETER_UNUSABLE");
    assertThat(item.message()).contains("/nonexistent/bin/interp", binary.toString());
  }

  @Test
  void aScriptWhoseInterpreterIsNotExecutableIsRefused() throws IOException {
    Path interp = TinyElf.program().writeTo(dir.resolve("interp"));
    Files.setPosixFilePermissions(interp, PosixFilePermissions.fromString("rw-r--r--"));
    Path binary = script("qemu", "#!" + interp + "\n");
    PreflightItem item = onlyError(check(binary), "EXEC_SCRIPT_INTERPRETER_UNUSABLE");
    assertThat(item.message()).contains(interp.toString(), "not executable");
  }

  @Test
  void aProgramWhoseLoaderIsMissingIsRefused() throws IOException {
    for (TinyElf elf :
        List.of(
            TinyElf.program().interpreter("/nonexistent/ld-linux.so.2"),
            TinyElf.program().elf32().bigEndian().interpreter("/nonexistent/ld-linux.so.2"))) {
      Path binary = elf.writeTo(dir.resolve("qemu"));
      PreflightItem item = onlyError(check(binary), "EXEC_ELF_LOADER_UNUSABLE");
      assertThat(item.message()).contains("/nonexistent/ld-linux.so.2");
    }
  }

  @Test
  void aScriptWhoseInterpretersLoaderIsMissingIsRefused() throws IOException {
    Path interp = TinyElf.program().interpreter("/nonexistent/ld.so").writeTo(dir.resolve("i"));
    Path binary = script("qemu", "#!" + interp + " -e\n");
    PreflightItem item = onlyError(check(binary), "EXEC_ELF_LOADER_UNUSABLE");
    assertThat(item.message()).contains("/nonexistent/ld.so", interp.toString());
  }

  @Test
  void aMalformedProgramIsAnErrorNotAnException() throws IOException {
    for (TinyElf elf :
        List.of(
            TinyElf.program().truncateTo(40),
            TinyElf.program().phentsize(20),
            TinyElf.program().phnum(0),
            TinyElf.program().phoff(1L << 40),
            TinyElf.program().interpreter("/lib/ld.so").interpreterSize(1L << 20),
            TinyElf.program().interpreter("/lib/ld.so").unterminatedInterpreter(),
            TinyElf.program().type(1))) {
      Path binary = elf.writeTo(dir.resolve("qemu"));
      onlyError(check(binary), "EXEC_BINARY_MALFORMED");
    }
  }

  @Test
  void aFileThatIsNeitherProgramNorScriptIsRefused() throws IOException {
    for (String text : List.of("", "echo hello\n", "#!\n", "#!   \n")) {
      PreflightItem item = onlyError(check(script("qemu", text)), "EXEC_BINARY_MALFORMED");
      assertThat(item.subject()).endsWith("qemu");
    }
  }

  @Test
  void realProgramsPass() throws IOException {
    Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
    for (Path binary : List.of(Path.of("/bin/sh"), java.toRealPath())) {
      PreflightReport report = check(binary);
      assertThat(report.hasErrors()).as(report.toString()).isFalse();
    }
    Path sh = script("wrapper", "#!/bin/sh\nexec true\n");
    assertThat(check(sh).hasErrors()).isFalse();
  }
}
