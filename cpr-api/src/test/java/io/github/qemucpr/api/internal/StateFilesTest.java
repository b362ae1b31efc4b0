package io.github.qemucpr.api.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFilesTest {
  @TempDir Path dir;

  @Test
  void partialIsCreatedNewWithOwnerOnlyPermissionsAndWriteOnlyDescriptor() throws Exception {
    Path target = dir.resolve("vm.state");
    Path partial = StateFiles.partialPath(target);
    assertThat(partial.getFileName().toString()).isEqualTo("vm.state.partial");
    try (StateFiles.PartialFile file = StateFiles.createPartial(partial)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(partial)))
          .isEqualTo("rw-------");
      // As QEMU would, through the same open file; closing this stream would close it for all.
      FileOutputStream out = new FileOutputStream(file.descriptor());
      out.write("state".getBytes(StandardCharsets.UTF_8));
      file.fsync();
      assertThat(file.size()).isEqualTo(5);
    }
    StateFiles.commit(partial, target);
    assertThat(partial).doesNotExist();
    assertThat(target).hasContent("state");
  }

  @Test
  void refusesAnythingAtThePartialPathEvenADanglingSymlink() throws Exception {
    Path partial = dir.resolve("vm.state.partial");
    Files.createSymbolicLink(partial, dir.resolve("nowhere"));
    assertThatThrownBy(() -> StateFiles.createPartial(partial))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(dir.resolve("nowhere")).doesNotExist();
    Files.delete(partial);
    Files.writeString(partial, "earlier");
    assertThatThrownBy(() -> StateFiles.createPartial(partial))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(partial).hasContent("earlier");
  }

  @Test
  void deleteRemovesTheFileButNotWhereItWasRenamedTo() throws Exception {
    Path partial = dir.resolve("a.partial");
    StateFiles.PartialFile file = StateFiles.createPartial(partial);
    file.delete();
    assertThat(partial).doesNotExist();
    file.delete(); // idempotent

    StateFiles.PartialFile renamed = StateFiles.createPartial(partial);
    assertThat(renamed.isStillAtPath()).isTrue();
    StateFiles.commit(partial, dir.resolve("a"));
    assertThat(renamed.isStillAtPath()).isFalse();
    renamed.delete();
    assertThat(dir.resolve("a")).exists();
  }

  @Test
  void sha256MatchesTheKnownDigest() throws Exception {
    Path f = dir.resolve("abc");
    Files.writeString(f, "abc");
    assertThat(StateFiles.sha256(f))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void writeAtomicallyReplacesAndLeavesNoTemp() throws Exception {
    Path f = dir.resolve("m.json");
    StateFiles.writeAtomically(f, "one".getBytes(StandardCharsets.UTF_8));
    StateFiles.writeAtomically(f, "two".getBytes(StandardCharsets.UTF_8));
    assertThat(f).hasContent("two");
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(f);
    }
  }
}
