package io.github.qemucpr.qmp.internal.qapi;

import io.github.qemucpr.qmp.qapi.QapiBoxed;
import io.github.qemucpr.qmp.qapi.QapiBranch;
import io.github.qemucpr.qmp.qapi.QapiDiscriminator;
import io.github.qemucpr.qmp.qapi.QapiEnum;
import io.github.qemucpr.qmp.qapi.QapiEvent;
import io.github.qemucpr.qmp.qapi.QapiMember;
import io.github.qemucpr.qmp.qapi.QapiName;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Maps the generated QAPI types to and from JSON, by their shape: records whose components carry
 * {@link QapiMember} (structs, union variants, events, commands), sealed interfaces (unions with
 * {@link QapiDiscriminator}, alternates), and open enums. The shape of each class is read once, on
 * first use, so that nothing of the generated surface loads before the caller uses it.
 *
 * <p>Decoding is strict about the schema (a required member missing or a value of the wrong JSON
 * type fails, naming the path) and keeps what it does not know: members go to {@code
 * unknownMembers}, enum values are kept as they came. Encoding gives plain Java values (maps,
 * lists, strings, numbers, booleans, null) that the wire codec writes.
 */
public final class QapiCodec {
  private QapiCodec() {}

  private static final String BASE = "io.github.qemucpr.qmp.qapi.";
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  /** A value that does not match its generated type. */
  public static final class DecodeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final String path;
    private final String problem;

    DecodeException(String path, String problem) {
      super("$" + path + ": " + problem);
      this.path = path;
      this.problem = problem;
    }

    /** The same problem, one level further down (paths are built only when decoding fails). */
    DecodeException under(String segment) {
      return new DecodeException(segment + path, problem);
    }
  }

  /**
   * Whether a class is one of the generated types this codec maps.
   *
   * @param type a class
   * @return true for a generated struct, union, alternate, enum or event
   */
  public static boolean handles(Class<?> type) {
    return type.getPackageName().startsWith(BASE)
        && (type.isRecord() || type.isInterface() && type.isSealed());
  }

  /**
   * {@code List<element>}, as the reply type of a command whose reply is a list.
   *
   * @param element the element type
   * @return the parameterized type
   */
  public static Type listOf(Type element) {
    return new ListType(element);
  }

  /**
   * The {@code arguments} object of a generated command.
   *
   * @param command the command record
   * @return its members by wire name, as plain Java values; empty when it has none
   */
  public static Map<String, @Nullable Object> arguments(Record command) {
    if (SHAPES.get(command.getClass()).components.length == 0) {
      return Map.of();
    }
    return Collections.unmodifiableMap(encodeObject(command));
  }

  /**
   * Encodes a generated value to plain Java values, as it goes on the wire.
   *
   * @param value a generated value, or a plain value
   * @return maps, lists, strings, numbers, booleans, or null
   */
  public static @Nullable Object encode(@Nullable Object value) {
    return encodeValue(value, false);
  }

  /**
   * Decodes JSON to a generated type (or a list, string, number, boolean, or plain value).
   *
   * @param node the JSON
   * @param type the type
   * @return the value
   * @throws DecodeException if the JSON does not have the type's shape
   */
  public static @Nullable Object decode(JsonNode node, Type type) {
    return decodeValue(node, type, false, "");
  }

  /**
   * Decodes an event's {@code data} to its generated record.
   *
   * @param <E> the record type
   * @param type the record class
   * @param data the data member, an object (empty when the event had none)
   * @param timestamp when QEMU emitted the event
   * @return the event
   * @throws DecodeException if the data does not have the event's shape
   */
  public static <E extends QapiEvent> E decodeEvent(
      Class<E> type, JsonNode data, Instant timestamp) {
    if (!data.isObject()) {
      throw new DecodeException(
          "",
          "the data of " + type.getSimpleName() + " must be an object, got " + data.getNodeType());
    }
    return type.cast(decodeRecord((ObjectNode) data, SHAPES.get(type), Set.of(), timestamp, ""));
  }

  /**
   * Converts JSON to plain Java values: {@code Map}, {@code List}, {@code String}, {@code Long} (or
   * {@code BigInteger}), {@code Double}, {@code Boolean}, null.
   *
   * @param node the JSON
   * @return the plain value
   */
  public static @Nullable Object toPlain(JsonNode node) {
    if (node.isObject()) {
      Map<String, @Nullable Object> m = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        m.put(e.getKey(), toPlain(e.getValue()));
      }
      return m;
    }
    if (node.isArray()) {
      List<@Nullable Object> l = new ArrayList<>(node.size());
      for (JsonNode e : node) {
        l.add(toPlain(e));
      }
      return l;
    }
    if (node.isString()) {
      return node.stringValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    return null;
  }

  // ------------------------------------------------------------------------------- decoding

  private static @Nullable Object decodeValue(
      JsonNode v, Type type, boolean unsigned, String path) {
    if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
      if (!v.isArray()) {
        throw mismatch(path, "an array", v);
      }
      Type element = p.getActualTypeArguments()[0];
      List<@Nullable Object> out = new ArrayList<>(v.size());
      int i = 0;
      for (JsonNode e : v) {
        try {
          out.add(decodeValue(e, element, unsigned, ""));
        } catch (DecodeException x) {
          throw x.under(path + "[" + i + "]");
        }
        i++;
      }
      return Collections.unmodifiableList(out);
    }
    if (!(type instanceof Class<?> c)) {
      throw new DecodeException(path, "cannot decode to " + type);
    }
    if (c == String.class) {
      if (!v.isString()) {
        throw mismatch(path, "a string", v);
      }
      return v.stringValue();
    }
    if (c == long.class || c == Long.class) {
      if (!v.isIntegralNumber()) {
        throw mismatch(path, "an integer", v);
      }
      if (v.canConvertToLong()) {
        return v.longValue();
      }
      BigInteger b = v.bigIntegerValue();
      if (unsigned && b.signum() > 0 && b.compareTo(TWO_TO_64) < 0) {
        return b.longValue();
      }
      throw new DecodeException(path, b + " is out of range");
    }
    if (c == double.class || c == Double.class) {
      if (!v.isNumber()) {
        throw mismatch(path, "a number", v);
      }
      return finiteDouble(v, path);
    }
    if (c == boolean.class || c == Boolean.class) {
      if (!v.isBoolean()) {
        throw mismatch(path, "a boolean", v);
      }
      return v.booleanValue();
    }
    if (c == Object.class) {
      return toPlain(v);
    }
    Shape shape = SHAPES.get(c);
    switch (shape.kind) {
      case ENUM:
        if (!v.isString()) {
          throw mismatch(path, "a string (" + c.getSimpleName() + ")", v);
        }
        return construct(shape, new Object[] {v.stringValue()}, path);
      case OBJECT:
        if (!v.isObject()) {
          throw mismatch(path, "an object (" + c.getSimpleName() + ")", v);
        }
        return decodeRecord((ObjectNode) v, shape, Set.of(), null, path);
      case UNION:
        if (!v.isObject()) {
          throw mismatch(path, "an object (" + c.getSimpleName() + ")", v);
        }
        return decodeUnion((ObjectNode) v, shape, path);
      case ALTERNATE:
        return decodeAlternate(v, shape, path);
      default:
        throw new DecodeException(path, "cannot decode to " + c.getName());
    }
  }

  /**
   * A JSON number as a double: one beyond a double's range (1e400, which the parser has already
   * made infinite, or an integer of 400 digits) is refused, never taken as infinity.
   */
  private static double finiteDouble(JsonNode v, String path) {
    double d;
    try {
      d = v.doubleValue();
    } catch (JacksonException e) {
      throw new DecodeException(path, v + " is out of range of a double");
    }
    if (Double.isInfinite(d) || Double.isNaN(d)) {
      throw new DecodeException(path, "a number out of range of a double (" + d + ")");
    }
    return d;
  }

  private static Object decodeUnion(ObjectNode v, Shape union, String path) {
    String disc = Objects.requireNonNull(union.discriminator);
    JsonNode d = v.get(disc);
    if (d == null || !d.isString()) {
      throw mismatch(
          path + "." + disc,
          "a string (the discriminator of " + union.type.getSimpleName() + ")",
          d);
    }
    Shape variant = union.branches.get(d.stringValue());
    if (variant == null) {
      return decodeRecord(v, Objects.requireNonNull(union.other), Set.of(), null, path);
    }
    return decodeRecord(v, variant, Set.of(disc), null, path);
  }

  private static Object decodeAlternate(JsonNode v, Shape alternate, String path) {
    for (Shape a : alternate.alternatives) {
      if (a.components.length == 0) {
        if (v.isNull()) {
          return construct(a, new Object[0], path);
        }
        continue;
      }
      Component c = a.components[0];
      if (accepts(c.type, v)) {
        return construct(a, new Object[] {decodeValue(v, c.type, c.decodesUnsigned, path)}, path);
      }
    }
    // An integer also fits a number alternative.
    for (Shape a : alternate.alternatives) {
      if (a.components.length == 1
          && v.isNumber()
          && (a.components[0].type == double.class || a.components[0].type == Double.class)) {
        return construct(a, new Object[] {finiteDouble(v, path)}, path);
      }
    }
    throw mismatch(path, "one of the alternatives of " + alternate.type.getSimpleName(), v);
  }

  private static boolean accepts(Type t, JsonNode v) {
    if (t instanceof ParameterizedType) {
      return v.isArray();
    }
    Class<?> c = (Class<?>) t;
    if (c == String.class) {
      return v.isString();
    }
    if (c == long.class || c == Long.class) {
      return v.isIntegralNumber();
    }
    if (c == double.class || c == Double.class) {
      return v.isFloatingPointNumber();
    }
    if (c == boolean.class || c == Boolean.class) {
      return v.isBoolean();
    }
    if (c == Object.class) {
      return true;
    }
    Shape s = SHAPES.get(c);
    return s.kind == Kind.ENUM ? v.isString() : v.isObject();
  }

  private static Object decodeRecord(
      ObjectNode v, Shape shape, Set<String> consumed, @Nullable Instant timestamp, String path) {
    Object[] args = new Object[shape.components.length];
    Component boxed = null;
    int present = 0;
    for (int i = 0; i < shape.components.length; i++) {
      Component c = shape.components[i];
      if (c.role == Role.TIMESTAMP) {
        args[i] = Objects.requireNonNull(timestamp, "timestamp");
      } else if (c.role == Role.BOXED) {
        boxed = c;
      } else if (c.role == Role.MEMBER) {
        String wire = Objects.requireNonNull(c.wire);
        JsonNode m = v.get(wire);
        if (m == null) {
          if (!c.optional) {
            throw new DecodeException(
                path, "the member '" + wire + "' of " + shape.type.getSimpleName() + " is missing");
          }
          args[i] = null;
        } else {
          present++;
          try {
            args[i] = decodeValue(m, c.type, c.decodesUnsigned, "");
          } catch (DecodeException x) {
            throw x.under(path + "." + wire);
          }
        }
      }
    }
    // Allocated only when there is something to keep: most replies have nothing unknown.
    Map<String, @Nullable Object> unknown = Map.of();
    for (int i = 0; i < shape.components.length; i++) {
      Component c = shape.components[i];
      if (c.role == Role.MEMBER
          && c.optional
          && args[i] == null
          && v.has(Objects.requireNonNull(c.wire))) {
        // An optional 'any' member sent as JSON null: the component cannot tell it from absent,
        // so it is kept with the unknown members, and sent back the same.
        unknown = unknown.isEmpty() ? new LinkedHashMap<>() : unknown;
        unknown.put(c.wire, null);
      }
    }
    ObjectNode rest = boxed == null ? null : JsonNodeFactory.instance.objectNode();
    int consumedHere = 0;
    for (String k : consumed) {
      consumedHere += v.has(k) ? 1 : 0;
    }
    // Members not taken by a component: only then is it worth looking for them.
    if (rest != null || v.size() > present + consumedHere) {
      for (Map.Entry<String, JsonNode> e : v.properties()) {
        if (shape.wireNames.contains(e.getKey()) || consumed.contains(e.getKey())) {
          continue;
        }
        if (rest != null) {
          rest.set(e.getKey(), e.getValue());
        } else {
          unknown = unknown.isEmpty() ? new LinkedHashMap<>() : unknown;
          unknown.put(e.getKey(), toPlain(e.getValue()));
        }
      }
    }
    for (int i = 0; i < shape.components.length; i++) {
      Component c = shape.components[i];
      if (c.role == Role.BOXED) {
        args[i] = decodeValue(Objects.requireNonNull(rest), c.type, false, path);
      } else if (c.role == Role.UNKNOWN) {
        args[i] = unknown;
      }
    }
    return construct(shape, args, path);
  }

  private static Object construct(Shape shape, @Nullable Object[] args, String path) {
    try {
      return Objects.requireNonNull(shape.constructor).newInstance(args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new DecodeException(path, shape.type.getSimpleName() + " rejects the value: " + cause);
    } catch (ReflectiveOperationException | IllegalArgumentException e) {
      throw new IllegalStateException(
          "cannot construct " + shape.type.getName() + " at " + path, e);
    }
  }

  private static DecodeException mismatch(String path, String expected, @Nullable JsonNode got) {
    String what = got == null ? "nothing" : got.getNodeType() + " " + preview(got);
    return new DecodeException(path, "expected " + expected + ", got " + what);
  }

  private static String preview(JsonNode v) {
    String s = v.toString();
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  // ------------------------------------------------------------------------------- encoding

  private static @Nullable Object encodeValue(@Nullable Object value, boolean unsigned) {
    if (value == null
        || value instanceof String
        || value instanceof Boolean
        || value instanceof Double) {
      return value;
    }
    if (value instanceof Long l) {
      return unsigned && l < 0 ? new BigInteger(Long.toUnsignedString(l)) : l;
    }
    if (value instanceof List<?> list) {
      List<@Nullable Object> out = new ArrayList<>(list.size());
      for (Object e : list) {
        out.add(encodeValue(e, unsigned));
      }
      return out;
    }
    if (value instanceof QapiEnum e) {
      return e.wireName();
    }
    if (value instanceof Record r && handles(r.getClass())) {
      Shape shape = SHAPES.get(r.getClass());
      if (shape.kind == Kind.ALTERNATIVE) {
        return shape.components.length == 0
            ? null
            : encodeValue(read(shape.components[0], r), shape.components[0].unsigned);
      }
      return encodeObject(r);
    }
    // Plain values (of 'any' members, unknown members) go as they are.
    return value;
  }

  private static Map<String, @Nullable Object> encodeObject(Record r) {
    Shape shape = SHAPES.get(r.getClass());
    Map<String, @Nullable Object> out = new LinkedHashMap<>();
    if (shape.branch != null) {
      out.put(Objects.requireNonNull(shape.discriminator), shape.branch);
    }
    Map<String, @Nullable Object> unknown = Map.of();
    for (Component c : shape.components) {
      Object v = read(c, r);
      switch (c.role) {
        case MEMBER:
          if (v != null || !c.optional) {
            out.put(Objects.requireNonNull(c.wire), encodeValue(v, c.unsigned));
          }
          break;
        case BOXED:
          Object inner = encodeValue(v, false);
          if (inner instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
              out.put((String) e.getKey(), e.getValue());
            }
          }
          break;
        case UNKNOWN:
          @SuppressWarnings("unchecked")
          Map<String, @Nullable Object> u =
              (Map<String, @Nullable Object>) Objects.requireNonNull(v);
          unknown = u;
          break;
        default:
          break;
      }
    }
    for (Map.Entry<String, @Nullable Object> e : unknown.entrySet()) {
      out.putIfAbsent(e.getKey(), e.getValue());
    }
    return out;
  }

  private static @Nullable Object read(Component c, Record r) {
    try {
      return c.accessor.invoke(r);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read " + c.accessor, e);
    }
  }

  // ---------------------------------------------------------------------------------- shapes

  private enum Kind {
    OBJECT,
    ENUM,
    UNION,
    ALTERNATE,
    ALTERNATIVE
  }

  private enum Role {
    MEMBER,
    BOXED,
    UNKNOWN,
    TIMESTAMP,
    OTHER
  }

  private static final class Component {
    final Role role;
    final @Nullable String wire;
    final Type type;
    final boolean optional;

    /** Sent as unsigned. */
    final boolean unsigned;

    /** Decoded as unsigned above {@link Long#MAX_VALUE}: unsigned, or of unknown width. */
    final boolean decodesUnsigned;

    final Method accessor;

    Component(
        Role role,
        @Nullable String wire,
        Type type,
        boolean optional,
        boolean unsigned,
        boolean decodesUnsigned,
        Method accessor) {
      this.role = role;
      this.wire = wire;
      this.type = type;
      this.optional = optional;
      this.unsigned = unsigned;
      this.decodesUnsigned = decodesUnsigned;
      this.accessor = accessor;
    }
  }

  private static final class Shape {
    final Class<?> type;
    final Kind kind;
    Component[] components = new Component[0];
    @Nullable Constructor<?> constructor;

    /** Of a union, or of a union's variant. */
    @Nullable String discriminator;

    /** Of a union's variant: its discriminator value. */
    @Nullable String branch;

    final Map<String, Shape> branches = new LinkedHashMap<>();
    @Nullable Shape other;
    final List<Shape> alternatives = new ArrayList<>();

    /** The wire names of the members. */
    Set<String> wireNames = Set.of();

    Shape(Class<?> type, Kind kind) {
      this.type = type;
      this.kind = kind;
    }
  }

  private static final ClassValue<Shape> SHAPES =
      new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
          return shapeOf(type);
        }
      };

  private static Shape shapeOf(Class<?> type) {
    if (!handles(type)) {
      throw new IllegalArgumentException("not a generated QAPI type: " + type.getName());
    }
    if (type.isInterface()) {
      QapiDiscriminator d = type.getAnnotation(QapiDiscriminator.class);
      Shape s = new Shape(type, d != null ? Kind.UNION : Kind.ALTERNATE);
      for (Class<?> p : Objects.requireNonNull(type.getPermittedSubclasses())) {
        Shape v = SHAPES.get(p);
        if (d != null) {
          if (v.branch != null) {
            s.branches.put(v.branch, v);
          } else {
            s.other = v;
          }
        } else {
          s.alternatives.add(v);
        }
      }
      if (d != null) {
        s.discriminator = d.value();
      }
      return s;
    }
    if (QapiEnum.class.isAssignableFrom(type)) {
      Shape s = new Shape(type, Kind.ENUM);
      s.constructor = constructor(type, new Class<?>[] {String.class});
      return s;
    }
    boolean alternative = false;
    String discriminator = null;
    for (Class<?> i : type.getInterfaces()) {
      if (handles(i)) {
        QapiDiscriminator d = i.getAnnotation(QapiDiscriminator.class);
        if (d != null) {
          discriminator = d.value();
        } else if (i.getAnnotation(QapiName.class) != null) {
          alternative = true;
        }
      }
    }
    Shape s = new Shape(type, alternative ? Kind.ALTERNATIVE : Kind.OBJECT);
    QapiBranch b = type.getAnnotation(QapiBranch.class);
    if (b != null) {
      s.branch = b.value();
      s.discriminator = discriminator;
    }
    RecordComponent[] rc = type.getRecordComponents();
    Component[] comps = new Component[rc.length];
    Class<?>[] types = new Class<?>[rc.length];
    boolean event = QapiEvent.class.isAssignableFrom(type);
    for (int i = 0; i < rc.length; i++) {
      RecordComponent r = rc[i];
      types[i] = r.getType();
      QapiMember m = r.getAnnotation(QapiMember.class);
      Role role;
      if (r.getAnnotation(QapiBoxed.class) != null) {
        role = Role.BOXED;
      } else if (m != null && !alternative) {
        role = Role.MEMBER;
      } else if (r.getName().equals("unknownMembers") && r.getType() == Map.class) {
        role = Role.UNKNOWN;
      } else if (event && i == 0 && r.getType() == Instant.class) {
        role = Role.TIMESTAMP;
      } else {
        role = Role.OTHER;
      }
      comps[i] =
          new Component(
              role,
              m == null ? null : m.value(),
              r.getGenericType(),
              m != null && m.optional(),
              m != null && m.unsigned(),
              m != null && (m.unsigned() || m.mayBeUnsigned()),
              r.getAccessor());
    }
    if (!alternative && Arrays.stream(comps).anyMatch(c -> c.role == Role.OTHER)) {
      throw new IllegalStateException(type.getName() + " has a component that is not a member");
    }
    s.components = comps;
    Set<String> wire = new HashSet<>();
    for (Component c : comps) {
      if (c.role == Role.MEMBER) {
        wire.add(Objects.requireNonNull(c.wire));
      }
    }
    s.wireNames = Set.copyOf(wire);
    s.constructor = constructor(type, types);
    return s;
  }

  private static Constructor<?> constructor(Class<?> type, Class<?>[] types) {
    try {
      return type.getDeclaredConstructor(types);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type.getName() + " has no canonical constructor", e);
    }
  }

  /** {@code List<E>} for the codec; equal to any other {@code List<E>}. */
  private static final class ListType implements ParameterizedType {
    private final Type element;

    ListType(Type element) {
      this.element = Objects.requireNonNull(element, "element");
    }

    @Override
    public Type[] getActualTypeArguments() {
      return new Type[] {element};
    }

    @Override
    public Type getRawType() {
      return List.class;
    }

    @Override
    public @Nullable Type getOwnerType() {
      return null;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof ParameterizedType p
          && p.getRawType() == List.class
          && p.getOwnerType() == null
          && Arrays.equals(getActualTypeArguments(), p.getActualTypeArguments());
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(getActualTypeArguments()) ^ List.class.hashCode();
    }

    @Override
    public String toString() {
      return "java.util.List<" + element.getTypeName() + ">";
    }
  }
}
