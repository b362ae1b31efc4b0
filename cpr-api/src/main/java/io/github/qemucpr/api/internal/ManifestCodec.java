package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.command.RunState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The manifest's JSON form, written and read by hand through a tree so that the public record
 * carries no Jackson annotations, and so that the format on disk is pinned here in one place.
 */
public final class ManifestCodec {
  /** Tells a manifest from any other JSON file. */
  static final String FORMAT = "qemu-cpr-java checkpoint";

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private ManifestCodec() {}

  /** The manifest as pretty JSON, ending with a newline. */
  public static byte[] encode(CprManifest m) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("format", FORMAT);
    root.put("format-version", m.formatVersion());
    root.put("qemu-version", m.qemuVersion());
    root.put("mode", m.mode());
    ArrayNode caps = root.putArray("capabilities");
    m.capabilities().forEach(caps::add);
    ArrayNode backends = root.putArray("memory-backends");
    for (CprManifest.RamBackend b : m.memoryBackends()) {
      ObjectNode o = backends.addObject();
      o.put("id", b.id());
      o.put("type", b.type());
      o.put("size", b.size());
      if (b.memPath() != null) {
        o.put("mem-path", b.memPath());
      }
      o.put("share", b.share());
      o.put("saved-in-place", b.savedInPlace());
      CprManifest.RamFile f = b.file();
      if (f != null) {
        ObjectNode file = o.putObject("file");
        file.put("file-system", f.fileSystem());
        file.put("device", f.device());
        file.put("inode", f.inode());
        file.put("size", f.size());
        if (f.characterDevice() != null) {
          file.put("character-device", f.characterDevice().longValue());
        }
        if (f.modifiedAt() != null) {
          file.put("modified", f.modifiedAt().toString());
        }
        if (f.hostBootId() != null) {
          file.put("host-boot-id", f.hostBootId());
        }
        CprManifest.ContentSample sample = f.contentSample();
        if (sample != null) {
          ObjectNode o2 = file.putObject("content-sample");
          o2.put("page-size", sample.pageSize());
          ArrayNode offsets = o2.putArray("offsets");
          sample.offsets().forEach(offsets::add);
          o2.put("sha256", sample.sha256());
        }
        CprManifest.DaxDevice dax = f.daxDevice();
        if (dax != null) {
          ObjectNode o2 = file.putObject("dax-device");
          o2.put("name", dax.name());
          o2.put("size", dax.size());
          if (dax.uuid() != null) {
            o2.put("uuid", dax.uuid());
          }
        }
      }
    }
    root.put("memory-saved-in-place", m.memorySavedInPlace());
    root.put("suspended-by-us", m.suspendedByUs());
    root.put("runstate-before", m.runStateBefore().wireName());
    ObjectNode file = root.putObject("state-file");
    file.put("name", m.stateFileName());
    file.put("size", m.stateFileSize());
    file.put("sha256", m.stateFileSha256());
    ObjectNode times = root.putObject("times");
    putInstant(times, "blackout-started", m.blackoutStartedAt());
    putInstant(times, "saved", m.savedAt());
    if (m.qemuDowntime() != null) {
      root.put("qemu-downtime-ms", m.qemuDowntime().toMillis());
    }
    ObjectNode restore = root.putObject("restore");
    putInstant(restore, "started", m.restoreStartedAt());
    putInstant(restore, "finished", m.restoredAt());
    restore.put("restored", m.restored());
    byte[] json = MAPPER.writeValueAsBytes(root);
    byte[] out = java.util.Arrays.copyOf(json, json.length + 1);
    out[json.length] = '\n';
    return out;
  }

  /**
   * Parses a manifest.
   *
   * @throws IllegalArgumentException if it is not a manifest this version knows
   */
  public static CprManifest decode(byte[] json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asString(""))) {
      throw new IllegalArgumentException(
          "not a checkpoint manifest (no \"format\": \"" + FORMAT + "\")");
    }
    int version = root.path("format-version").asInt(-1);
    if (version != CprManifest.FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "manifest format version " + version + " is not " + CprManifest.FORMAT_VERSION);
    }
    try {
      List<String> caps = new ArrayList<>();
      for (JsonNode c : root.path("capabilities")) {
        caps.add(c.asString());
      }
      List<CprManifest.RamBackend> backends = new ArrayList<>();
      for (JsonNode b : root.path("memory-backends")) {
        backends.add(
            new CprManifest.RamBackend(
                required(b, "id").asString(),
                required(b, "type").asString(),
                required(b, "size").asLong(),
                b.hasNonNull("mem-path") ? b.get("mem-path").asString() : null,
                b.path("share").asBoolean(false),
                b.path("saved-in-place").asBoolean(false),
                ramFile(b.get("file"))));
      }
      JsonNode file = required(root, "state-file");
      JsonNode times = root.path("times");
      JsonNode restore = root.path("restore");
      return CprManifest.builder()
          .formatVersion(version)
          .qemuVersion(required(root, "qemu-version").asString())
          .mode(required(root, "mode").asString())
          .capabilities(caps)
          .memoryBackends(backends)
          .memorySavedInPlace(root.path("memory-saved-in-place").asBoolean(false))
          .suspendedByUs(root.path("suspended-by-us").asBoolean(false))
          .runStateBefore(RunState.of(required(root, "runstate-before").asString()))
          .stateFileName(required(file, "name").asString())
          .stateFileSize(required(file, "size").asLong())
          .stateFileSha256(required(file, "sha256").asString())
          .blackoutStartedAt(instant(times, "blackout-started"))
          .savedAt(java.util.Objects.requireNonNull(instant(times, "saved"), "times.saved"))
          .qemuDowntime(
              root.hasNonNull("qemu-downtime-ms")
                  ? Duration.ofMillis(root.get("qemu-downtime-ms").asLong())
                  : null)
          .restoreStartedAt(instant(restore, "started"))
          .restoredAt(instant(restore, "finished"))
          .build();
    } catch (DateTimeParseException | NullPointerException | JacksonException e) {
      throw new IllegalArgumentException("malformed manifest: " + e.getMessage(), e);
    }
  }

  /** Reads the manifest at {@code path}; empty when no file is there. */
  public static Optional<CprManifest> read(Path path) {
    byte[] bytes;
    try {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty();
      }
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the manifest " + path, e);
    }
    try {
      return Optional.of(decode(bytes));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
    }
  }

  /** Writes the manifest atomically with mode 0600 (temp file, fsync, rename, fsync dir). */
  public static void write(Path path, CprManifest manifest) throws IOException {
    StateFiles.writeAtomically(path, encode(manifest));
  }

  /** A copy with the restore's start set (or cleared with {@code null}). */
  public static CprManifest withRestoreStarted(CprManifest m, @Nullable Instant at) {
    return m.toBuilder().restoreStartedAt(at).build();
  }

  /** A copy marked restored at {@code at}. */
  public static CprManifest withRestored(CprManifest m, Instant at) {
    return m.toBuilder().restoredAt(at).build();
  }

  /** A backend's file identity; absent in manifests written before it was recorded. */
  private static CprManifest.@Nullable RamFile ramFile(@Nullable JsonNode f) {
    if (f == null || f.isNull()) {
      return null;
    }
    return CprManifest.RamFile.builder()
        .fileSystem(required(f, "file-system").asString())
        .device(required(f, "device").asLong())
        .inode(required(f, "inode").asLong())
        .size(required(f, "size").asLong())
        .characterDevice(
            f.hasNonNull("character-device") ? f.get("character-device").asLong() : null)
        .modifiedAt(instant(f, "modified"))
        .hostBootId(f.hasNonNull("host-boot-id") ? f.get("host-boot-id").asString() : null)
        .contentSample(contentSample(f.get("content-sample")))
        .daxDevice(daxDevice(f.get("dax-device")))
        .build();
  }

  /** A RAM file's content sample; absent in manifests written before it was recorded. */
  private static CprManifest.@Nullable ContentSample contentSample(@Nullable JsonNode s) {
    if (s == null || s.isNull()) {
      return null;
    }
    List<Long> offsets = new ArrayList<>();
    for (JsonNode o : required(s, "offsets")) {
      offsets.add(o.asLong());
    }
    return new CprManifest.ContentSample(
        required(s, "page-size").asInt(), offsets, required(s, "sha256").asString());
  }

  /** A DAX device's identity; absent for regular files and in older manifests. */
  private static CprManifest.@Nullable DaxDevice daxDevice(@Nullable JsonNode d) {
    if (d == null || d.isNull()) {
      return null;
    }
    return new CprManifest.DaxDevice(
        required(d, "name").asString(),
        required(d, "size").asLong(),
        d.hasNonNull("uuid") ? d.get("uuid").asString() : null);
  }

  private static JsonNode required(JsonNode node, String name) {
    JsonNode n = node.get(name);
    if (n == null || n.isNull()) {
      throw new IllegalArgumentException("malformed manifest: \"" + name + "\" is missing");
    }
    return n;
  }

  private static void putInstant(ObjectNode node, String name, @Nullable Instant value) {
    if (value == null) {
      node.putNull(name);
    } else {
      node.put(name, value.toString());
    }
  }

  private static @Nullable Instant instant(JsonNode node, String name) {
    JsonNode n = node.get(name);
    return n == null || n.isNull() ? null : Instant.parse(n.asString());
  }
}
