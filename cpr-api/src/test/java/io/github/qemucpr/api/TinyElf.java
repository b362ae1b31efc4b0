package io.github.qemucpr.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Writes the head of an ELF program: the ELF header, a {@code PT_LOAD} and, if asked, a {@code
 * PT_INTERP} program header with the loader's path; nothing that would run, only what the kernel
 * reads first. Each field can be set wrong, for the malformed cases. Mutable; one per file.
 */
public final class TinyElf {
  /** This host's machine, which a 64-bit program has unless told: that of this JVM's binary. */
  private static final int HOST_MACHINE = hostMachine();

  private boolean elf64 = true;
  private boolean littleEndian = true;
  private int type = 3; // ET_DYN, as a PIE
  private @Nullable Integer machine;
  private @Nullable String interpreter;
  private @Nullable Integer phentsize;
  private @Nullable Integer phnum;
  private @Nullable Long phoff;
  private @Nullable Long interpreterSize;
  private boolean interpreterTerminated = true;
  private @Nullable Integer truncateTo;

  /** A 64-bit little-endian PIE for this host's machine without a loader (static). */
  public static TinyElf program() {
    return new TinyElf();
  }

  private static int hostMachine() {
    try (java.io.InputStream in = Files.newInputStream(Path.of("/proc/self/exe"))) {
      byte[] h = in.readNBytes(20);
      if (h.length == 20 && h[4] == 2 && h[5] == 1) {
        return (h[18] & 0xff) | (h[19] & 0xff) << 8;
      }
    } catch (IOException e) {
      // not Linux: x86-64
    }
    return 62;
  }

  /** Its loader, the {@code PT_INTERP} path. */
  public TinyElf interpreter(String path) {
    this.interpreter = path;
    return this;
  }

  /** A 32-bit program. */
  public TinyElf elf32() {
    this.elf64 = false;
    return this;
  }

  /** A big-endian program. */
  public TinyElf bigEndian() {
    this.littleEndian = false;
    return this;
  }

  /** The {@code e_type}. */
  public TinyElf type(int type) {
    this.type = type;
    return this;
  }

  /** The {@code e_machine}, such as 183 (AArch64); the host's or i386 by its class otherwise. */
  public TinyElf machine(int machine) {
    this.machine = machine;
    return this;
  }

  /** A wrong {@code e_phentsize}. */
  public TinyElf phentsize(int size) {
    this.phentsize = size;
    return this;
  }

  /** A wrong {@code e_phnum}. */
  public TinyElf phnum(int count) {
    this.phnum = count;
    return this;
  }

  /** A wrong {@code e_phoff}. */
  public TinyElf phoff(long offset) {
    this.phoff = offset;
    return this;
  }

  /** A wrong {@code p_filesz} of the {@code PT_INTERP}. */
  public TinyElf interpreterSize(long size) {
    this.interpreterSize = size;
    return this;
  }

  /** A loader path without its terminating NUL. */
  public TinyElf unterminatedInterpreter() {
    this.interpreterTerminated = false;
    return this;
  }

  /** Only the first {@code bytes} bytes. */
  public TinyElf truncateTo(int bytes) {
    this.truncateTo = bytes;
    return this;
  }

  /** The bytes. */
  public byte[] bytes() {
    int ehsize = elf64 ? 64 : 52;
    int phent = elf64 ? 56 : 32;
    int headers = interpreter != null ? 2 : 1;
    byte[] interp =
        interpreter == null
            ? new byte[0]
            : (interpreter + (interpreterTerminated ? "\0" : "")).getBytes(StandardCharsets.UTF_8);
    int interpOffset = ehsize + headers * phent;
    ByteBuffer b =
        ByteBuffer.allocate(interpOffset + interp.length + 16)
            .order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
    b.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (elf64 ? 2 : 1), (byte) (littleEndian ? 1 : 2)});
    b.put((byte) 1); // EI_VERSION
    b.position(16);
    b.putShort((short) type);
    b.putShort((short) (machine != null ? machine : elf64 ? HOST_MACHINE : 3)); // i386
    b.putInt(1);
    long ph = phoff != null ? phoff : ehsize;
    if (elf64) {
      b.putLong(0x1000); // e_entry
      b.putLong(ph);
      b.putLong(0); // e_shoff
    } else {
      b.putInt(0x1000);
      b.putInt((int) ph);
      b.putInt(0);
    }
    b.putInt(0); // e_flags
    b.putShort((short) ehsize);
    b.putShort((short) (phentsize != null ? phentsize : phent));
    b.putShort((short) (phnum != null ? phnum : headers));
    b.putShort((short) (elf64 ? 64 : 40));
    b.putShort((short) 0);
    b.putShort((short) 0);
    b.position(ehsize);
    if (interpreter != null) {
      programHeader(b, 3, interpOffset, interpreterSize != null ? interpreterSize : interp.length);
    }
    programHeader(b, 1, 0, interpOffset + interp.length); // PT_LOAD
    b.position(interpOffset);
    b.put(interp);
    byte[] all = Arrays.copyOf(b.array(), interpOffset + interp.length);
    return truncateTo != null ? Arrays.copyOf(all, truncateTo) : all;
  }

  private void programHeader(ByteBuffer b, int type, long offset, long size) {
    if (elf64) {
      b.putInt(type);
      b.putInt(4); // p_flags
      b.putLong(offset);
      b.putLong(0); // p_vaddr
      b.putLong(0); // p_paddr
      b.putLong(size); // p_filesz
      b.putLong(size); // p_memsz
      b.putLong(1); // p_align
    } else {
      b.putInt(type);
      b.putInt((int) offset);
      b.putInt(0);
      b.putInt(0);
      b.putInt((int) size);
      b.putInt((int) size);
      b.putInt(4);
      b.putInt(1);
    }
  }

  /** Writes it to {@code file}, mode 0755. */
  public Path writeTo(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, bytes());
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
