package io.github.qemucpr.qmp.fuzz;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Structure-aware mutations for {@link Mutator}: parses the JSON in an input and changes its tree
 * (a value of another type or an extreme number, a member removed or added, an element duplicated),
 * as a hostile or confused QEMU would. Byte flips alone rarely get past the parser to the typed
 * decoders.
 */
final class JsonEdits {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private JsonEdits() {}

  /**
   * Edits one JSON object or array of {@code data}: one that starts the input, follows a target's
   * parameter byte, or starts a line or a script part (after a newline, 0x00, 0x01 or 0xFF). The
   * bytes around it stay. {@code null} if the chosen one does not parse.
   */
  static byte @Nullable [] edit(byte[] data, SplittableRandom random, Supplier<byte[]> token) {
    List<Integer> starts = new ArrayList<>();
    for (int i = 0; i < data.length; i++) {
      if ((data[i] == '{' || data[i] == '[')
          && (i <= 1
              || data[i - 1] == '\n'
              || data[i - 1] == 0
              || data[i - 1] == 1
              || data[i - 1] == (byte) 0xFF)) {
        starts.add(i);
      }
    }
    if (starts.isEmpty()) {
      return null;
    }
    int start = starts.get(random.nextInt(starts.size()));
    byte[] rest = Arrays.copyOfRange(data, start, data.length);
    JsonNode root;
    int end;
    try (JsonParser parser = JSON.createParser(rest)) {
      root = JSON.readTree(parser);
      end = (int) parser.currentLocation().getByteOffset();
    } catch (JacksonException e) {
      return null;
    }
    if (root == null || !root.isContainer() || end <= 0 || end > rest.length) {
      return null;
    }
    int edits = 1 + random.nextInt(3);
    for (int i = 0; i < edits; i++) {
      List<Slot> slots = new ArrayList<>();
      collect(root, slots, 0);
      if (slots.isEmpty()) {
        if (root instanceof ObjectNode o) {
          o.set(name(random, token), value(random, token, root));
        } else {
          ((ArrayNode) root).add(value(random, token, root));
        }
        continue;
      }
      apply(slots.get(random.nextInt(slots.size())), random, token, root);
    }
    byte[] json = JSON.writeValueAsBytes(root);
    byte[] out = Arrays.copyOf(data, start + json.length + rest.length - end);
    System.arraycopy(json, 0, out, start, json.length);
    System.arraycopy(rest, end, out, start + json.length, rest.length - end);
    return out;
  }

  /** A place in the tree: a member of an object or an element of an array. */
  private record Slot(JsonNode parent, @Nullable String name, int index) {}

  private static void collect(JsonNode node, List<Slot> slots, int depth) {
    if (depth > 20) {
      return;
    }
    if (node instanceof ObjectNode o) {
      for (String name : List.copyOf(o.propertyNames())) {
        slots.add(new Slot(o, name, -1));
        collect(o.get(name), slots, depth + 1);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        slots.add(new Slot(a, null, i));
        collect(a.get(i), slots, depth + 1);
      }
    }
  }

  private static void apply(
      Slot slot, SplittableRandom random, Supplier<byte[]> token, JsonNode root) {
    JsonNode current =
        slot.name() != null ? slot.parent().get(slot.name()) : slot.parent().get(slot.index());
    switch (random.nextInt(6)) {
      case 0, 1 -> put(slot, value(random, token, root));
      case 2 -> { // remove it
        if (slot.parent() instanceof ObjectNode o) {
          o.remove(slot.name());
        } else {
          ((ArrayNode) slot.parent()).remove(slot.index());
        }
      }
      case 3 -> { // add a sibling
        if (slot.parent() instanceof ObjectNode o) {
          o.set(name(random, token), value(random, token, root));
        } else {
          ((ArrayNode) slot.parent()).insert(slot.index(), current.deepCopy());
        }
      }
      case 4 -> // wrap it
          put(
              slot,
              random.nextBoolean()
                  ? NODES.arrayNode().add(current.deepCopy())
                  : NODES.objectNode().set(name(random, token), current.deepCopy()));
      default -> put(slot, NODES.nullNode());
    }
  }

  private static void put(Slot slot, JsonNode value) {
    if (slot.parent() instanceof ObjectNode o) {
      o.set(slot.name(), value);
    } else {
      ((ArrayNode) slot.parent()).set(slot.index(), value);
    }
  }

  private static String name(SplittableRandom random, Supplier<byte[]> token) {
    String t = new String(token.get(), StandardCharsets.UTF_8);
    if (t.length() > 2 && t.startsWith("\"") && t.endsWith("\"")) {
      return t.substring(1, t.length() - 1);
    }
    return random.nextBoolean() ? "id" : "return";
  }

  private static JsonNode value(SplittableRandom random, Supplier<byte[]> token, JsonNode root) {
    return switch (random.nextInt(16)) {
      case 0 -> NODES.nullNode();
      case 1 -> NODES.booleanNode(random.nextBoolean());
      case 2 -> NODES.numberNode(0);
      case 3 -> NODES.numberNode(-1);
      case 4 -> NODES.numberNode(Long.MAX_VALUE);
      case 5 -> NODES.numberNode(Long.MIN_VALUE);
      case 6 -> NODES.numberNode(BigInteger.ONE.shiftLeft(64 + random.nextInt(64)));
      case 7 -> NODES.numberNode(1.5);
      case 8 -> NODES.numberNode(new BigDecimal("1e" + (300 + random.nextInt(1000))));
      case 9 -> NODES.numberNode(Integer.MAX_VALUE + 1L);
      case 10 -> NODES.stringNode("");
      case 11 -> NODES.stringNode(name(random, token));
      case 12 -> NODES.objectNode();
      case 13 -> NODES.arrayNode();
      default -> { // a node from elsewhere in the tree: a value of the right kind in the wrong
        // place
        List<Slot> slots = new ArrayList<>();
        collect(root, slots, 0);
        if (slots.isEmpty()) {
          yield NODES.objectNode();
        }
        Slot s = slots.get(random.nextInt(slots.size()));
        JsonNode n = s.name() != null ? s.parent().get(s.name()) : s.parent().get(s.index());
        yield n == null ? NODES.nullNode() : n.deepCopy();
      }
    };
  }
}
