package io.github.qemucpr.qmp.internal.codec;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.command.MigrationCapability;
import io.github.qemucpr.qmp.command.MigrationChannelType;
import io.github.qemucpr.qmp.command.MigrationMode;
import io.github.qemucpr.qmp.command.PciDevice;
import io.github.qemucpr.qmp.command.QmpSchema;
import io.github.qemucpr.qmp.command.VersionInfo;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;

/**
 * The codec registrations of the typed commands: their open enums, and the replies whose JSON names
 * kebab-case cannot reach ({@code package}, {@code class}, the underscores of {@code query-pci}).
 * Those few are decoded here by hand, so that the public records stay free of Jackson annotations.
 */
final class OpenEnums {
  private OpenEnums() {}

  static void register(QmpJsonModule module) {
    module.openEnum(
        MigrationCapability.class, MigrationCapability::of, MigrationCapability::wireName);
    module.openEnum(MigrationMode.class, MigrationMode::of, MigrationMode::wireName);
    module.openEnum(
        MigrationChannelType.class, MigrationChannelType::of, MigrationChannelType::wireName);

    module.addDeserializer(
        VersionInfo.class,
        new TreeDeserializer<>(VersionInfo.class) {
          @Override
          VersionInfo decode(JsonNode node, Reader in) {
            JsonNode qemu = in.object(node, "qemu");
            return new VersionInfo(
                new QemuVersion(
                    in.integer(qemu, "major"),
                    in.integer(qemu, "minor"),
                    in.integer(qemu, "micro")),
                node.path("package").asString(""));
          }
        });
    module.addDeserializer(
        PciDevice.class,
        new TreeDeserializer<>(PciDevice.class) {
          @Override
          PciDevice decode(JsonNode node, Reader in) {
            return pciDevice(node, in);
          }
        });
    module.addDeserializer(
        QmpSchema.class,
        new TreeDeserializer<>(QmpSchema.class) {
          @Override
          QmpSchema decode(JsonNode node, Reader in) {
            if (!node.isArray()) {
              in.fail("expected the schema as an array, got " + node.getNodeType());
            }
            List<JsonNode> entities = new ArrayList<>(node.size());
            node.forEach(entities::add);
            return new QmpSchema(entities);
          }
        });
  }

  private static PciDevice pciDevice(JsonNode node, Reader in) {
    JsonNode classInfo = in.object(node, "class_info");
    JsonNode id = in.object(node, "id");
    JsonNode bridge = node.get("pci_bridge");
    List<PciDevice.Region> regions = new ArrayList<>();
    for (JsonNode r : node.path("regions")) {
      regions.add(
          new PciDevice.Region(
              in.integer(r, "bar"),
              r.path("type").asString(""),
              in.number(r, "address"),
              in.number(r, "size"),
              in.optionalBoolean(r, "prefetch"),
              in.optionalBoolean(r, "mem_type_64")));
    }
    return new PciDevice(
        in.integer(node, "bus"),
        in.integer(node, "slot"),
        in.integer(node, "function"),
        new PciDevice.ClassInfo(
            in.integer(classInfo, "class"), in.optionalString(classInfo, "desc")),
        new PciDevice.DeviceId(
            in.integer(id, "vendor"),
            in.integer(id, "device"),
            in.optionalInteger(id, "subsystem-vendor"),
            in.optionalInteger(id, "subsystem")),
        in.optionalInteger(node, "irq"),
        node.path("irq_pin").asInt(0),
        node.path("qdev_id").asString(""),
        bridge == null || bridge.isNull() ? null : pciBridge(bridge, in),
        regions);
  }

  private static PciDevice.Bridge pciBridge(JsonNode node, Reader in) {
    JsonNode bus = in.object(node, "bus");
    List<PciDevice> devices = new ArrayList<>();
    for (JsonNode d : node.path("devices")) {
      devices.add(pciDevice(d, in));
    }
    return new PciDevice.Bridge(
        in.integer(bus, "number"),
        in.integer(bus, "secondary"),
        in.integer(bus, "subordinate"),
        devices);
  }

  /** Reads the whole value as a tree, then builds the record by hand. */
  private abstract static class TreeDeserializer<T> extends ValueDeserializer<T> {
    private final Class<T> type;

    TreeDeserializer(Class<T> type) {
      this.type = type;
    }

    abstract T decode(JsonNode node, Reader in);

    @Override
    public T deserialize(JsonParser p, DeserializationContext ctxt) {
      return decode(ctxt.readTree(p), new Reader(type, ctxt));
    }
  }

  /** Typed member access that reports a wrong shape as a mapping error, naming the member. */
  private static final class Reader {
    private final Class<?> type;
    private final DeserializationContext ctxt;

    Reader(Class<?> type, DeserializationContext ctxt) {
      this.type = type;
      this.ctxt = ctxt;
    }

    JsonNode object(JsonNode node, String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.isObject()) {
        fail("member '" + name + "' must be an object, got " + v);
      }
      return v;
    }

    int integer(JsonNode node, String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.canConvertToInt()) {
        fail("member '" + name + "' must be an integer, got " + v);
      }
      return v.asInt();
    }

    long number(JsonNode node, String name) {
      JsonNode v = node.get(name);
      if (v == null || !v.canConvertToLong()) {
        fail("member '" + name + "' must be an integer, got " + v);
      }
      return v.asLong();
    }

    @Nullable Integer optionalInteger(JsonNode node, String name) {
      JsonNode v = node.get(name);
      return v == null || v.isNull() ? null : integer(node, name);
    }

    @Nullable Boolean optionalBoolean(JsonNode node, String name) {
      JsonNode v = node.get(name);
      return v == null || !v.isBoolean() ? null : v.booleanValue();
    }

    @Nullable String optionalString(JsonNode node, String name) {
      JsonNode v = node.get(name);
      return v == null || !v.isString() ? null : v.stringValue();
    }

    void fail(String message) {
      ctxt.reportInputMismatch(type, "%s: %s", type.getSimpleName(), message);
    }
  }
}
