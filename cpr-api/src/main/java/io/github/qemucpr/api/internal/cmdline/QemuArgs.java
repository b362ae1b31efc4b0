package io.github.qemucpr.api.internal.cmdline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A QEMU system emulator's command line, read as QEMU reads it ({@code lookup_opt} in {@code
 * system/vl.c}): an argument that starts with {@code -} is an option, named with one dash or two
 * ({@code --m} is {@code -m}); an option takes either no value or exactly one, the next argument,
 * whatever it looks like ({@code -name -incoming} names the VM "-incoming"); any other argument is
 * a disk image. There is no {@code -opt=value} form: QEMU refuses {@code -m=1G} as an unknown
 * option. Immutable.
 *
 * <p>Which option takes a value comes from QEMU's {@code qemu-options.hx} (10.0.2), checked against
 * QEMU 10.0.2 and 11.1.3 by running each option before two invalid ones: an option with a value
 * takes the first, one without refuses it. An option unknown here is taken without a value, which
 * never hides the next argument from the checks; {@link #unknownOptions()} lists them.
 */
public final class QemuArgs {

  /** The options that take a value, by name without dashes. */
  private static final Set<String> WITH_VALUE =
      Set.of(
          "D",
          "L",
          "M",
          "accel",
          "acpitable",
          "action",
          "add-fd",
          "append",
          "audio",
          "audiodev",
          "bios",
          "blockdev",
          "boot",
          "cdrom",
          "chardev",
          "compat",
          "cpu",
          "d",
          "debugcon",
          "device",
          "dfilter",
          "display",
          "drive",
          "dtb",
          "dump-vmstate",
          "echr",
          "fda",
          "fdb",
          "fsdev",
          "fw_cfg",
          "g",
          "gdb",
          "global",
          "hda",
          "hdb",
          "hdc",
          "hdd",
          "icount",
          "incoming",
          "initrd",
          "iscsi",
          "k",
          "kernel",
          "loadvm",
          "m",
          "machine",
          "mem-path",
          "mon",
          "monitor",
          "msg",
          "mtdblock",
          "name",
          "net",
          "netdev",
          "nic",
          "numa",
          "object",
          "option-rom",
          "overcommit",
          "parallel",
          "pflash",
          "pidfile",
          "plugin",
          "prom-env",
          "qmp",
          "qmp-pretty",
          "qtest",
          "qtest-log",
          "readconfig",
          "rtc",
          "run-with",
          "sandbox",
          "sd",
          "seed",
          "semihosting-config",
          "serial",
          "set",
          "shim",
          "smbios",
          "smp",
          "spice",
          "tpmdev",
          "trace",
          "usbdevice",
          "uuid",
          "vga",
          "virtfs",
          "vnc",
          "watchdog-action",
          "xen-domid");

  /** The options that take none ({@code old-param} is gone in QEMU 11.1; older ones know it). */
  private static final Set<String> WITHOUT_VALUE =
      Set.of(
          "S",
          "daemonize",
          "enable-kvm",
          "enable-sync-profile",
          "full-screen",
          "h",
          "help",
          "jitdump",
          "mem-prealloc",
          "no-fd-bootchk",
          "no-reboot",
          "no-shutdown",
          "no-user-config",
          "nodefaults",
          "nographic",
          "old-param",
          "only-migratable",
          "perfmap",
          "preconfig",
          "s",
          "semihosting",
          "snapshot",
          "usb",
          "version",
          "win2k-hack",
          "xen-attach",
          "xen-domid-restrict");

  /**
   * One option as QEMU reads it.
   *
   * @param index its position in the command line (the binary is 0)
   * @param spelling as written, such as {@code -m} or {@code --m}
   * @param name without its dashes, such as {@code m}
   * @param value the argument after it, for an option that takes one; {@code null} for one that
   *     takes none, and for one that takes a value but ends the command line without it
   */
  public record Option(int index, String spelling, String name, @Nullable String value) {}

  private final List<String> argv;
  private final List<Option> options;
  private final List<Option> unknown;
  private final @Nullable Option missingValue;

  private QemuArgs(
      List<String> argv, List<Option> options, List<Option> unknown, @Nullable Option missing) {
    this.argv = argv;
    this.options = options;
    this.unknown = unknown;
    this.missingValue = missing;
  }

  /**
   * Reads a command line.
   *
   * @param argv the binary first, then its arguments
   * @throws IllegalArgumentException if {@code argv} is empty
   */
  public static QemuArgs parse(List<String> argv) {
    List<String> copy = List.copyOf(argv);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("a command line starts with its binary: it is empty");
    }
    List<Option> options = new ArrayList<>();
    List<Option> unknown = new ArrayList<>();
    Option missing = null;
    int i = 1;
    while (i < copy.size()) {
      String arg = copy.get(i);
      if (!arg.startsWith("-")) {
        i++; // a disk image ("" too)
        continue;
      }
      String name = arg.startsWith("--") ? arg.substring(2) : arg.substring(1);
      if (WITH_VALUE.contains(name)) {
        if (i + 1 < copy.size()) {
          options.add(new Option(i, arg, name, copy.get(i + 1)));
          i += 2;
        } else {
          missing = new Option(i, arg, name, null);
          options.add(missing);
          i++;
        }
      } else {
        Option option = new Option(i, arg, name, null);
        options.add(option);
        if (!WITHOUT_VALUE.contains(name)) {
          unknown.add(option);
        }
        i++;
      }
    }
    return new QemuArgs(
        copy,
        Collections.unmodifiableList(options),
        Collections.unmodifiableList(unknown),
        missing);
  }

  /** Whether QEMU knows {@code name} (without dashes) as an option that takes a value. */
  public static boolean takesValue(String name) {
    return WITH_VALUE.contains(name);
  }

  /** The command line, as given. */
  public List<String> argv() {
    return argv;
  }

  /** Every option, in order, unknown ones included. */
  public List<Option> options() {
    return options;
  }

  /** The options named {@code name} (without dashes), in either spelling, in order. */
  public List<Option> options(String name) {
    return options.stream().filter(o -> o.name().equals(name)).toList();
  }

  /** Whether the command line has the option {@code name} (without dashes), in either spelling. */
  public boolean has(String name) {
    return options.stream().anyMatch(o -> o.name().equals(name));
  }

  /**
   * The options QEMU 10.0 to 11.1 do not know, each taken without a value; QEMU refuses the whole
   * command line for one it does not know ("invalid option"), a newer QEMU may know it.
   */
  public List<Option> unknownOptions() {
    return unknown;
  }

  /**
   * The option that ends the command line without the value it takes, or {@code null}; QEMU refuses
   * such a command line ("requires an argument").
   */
  public @Nullable Option missingValue() {
    return missingValue;
  }

  /**
   * The command line without the options named in {@code names} (without dashes), each with its
   * value; everything else is kept as it was, in order.
   */
  public List<String> without(Set<String> names) {
    Objects.requireNonNull(names, "names");
    boolean[] drop = new boolean[argv.size()];
    for (Option o : options) {
      if (names.contains(o.name())) {
        drop[o.index()] = true;
        if (o.value() != null) {
          drop[o.index() + 1] = true;
        }
      }
    }
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < argv.size(); i++) {
      if (!drop[i]) {
        kept.add(argv.get(i));
      }
    }
    return kept;
  }

  /**
   * The parameters of an option value in QEMU's {@code key=value,...} syntax (QemuOpts), in order:
   * a doubled comma is a comma of the value; a first element without {@code =} before its first
   * comma is the value of {@code implied} (such as {@code path} in {@code -qmp unix:PATH}); a later
   * element without {@code =} is a flag, {@code on} (or {@code off} for {@code noNAME}). A key
   * given twice keeps its last value, as QEMU does.
   *
   * @param implied the key of a first element without {@code =}, or {@code null} if there is none
   *     (it is a flag then)
   */
  public static Map<String, String> parameters(String text, @Nullable String implied) {
    Map<String, String> params = new LinkedHashMap<>();
    int i = 0;
    boolean first = true;
    while (i < text.length()) {
      int end = i;
      while (end < text.length() && text.charAt(end) != '=' && text.charAt(end) != ',') {
        end++;
      }
      if (end < text.length() && text.charAt(end) == '=') {
        String key = text.substring(i, end);
        StringBuilder value = new StringBuilder();
        i = readValue(text, end + 1, value);
        params.put(key, value.toString());
      } else if (first && implied != null) {
        StringBuilder value = new StringBuilder();
        i = readValue(text, i, value);
        params.put(implied, value.toString());
      } else {
        String flag = text.substring(i, end);
        if (!flag.isEmpty()) {
          if (flag.startsWith("no") && flag.length() > 2) {
            params.put(flag.substring(2), "off");
          } else {
            params.put(flag, "on");
          }
        }
        i = end + 1;
      }
      first = false;
    }
    return params;
  }

  /** Whether a QemuOpts boolean is on ({@code on}, {@code yes}, {@code true} or {@code y}). */
  public static boolean isOn(@Nullable String value) {
    return value != null && Set.of("on", "yes", "true", "y").contains(value);
  }

  /** Reads a value up to a single comma (a doubled one is a comma); returns the index past it. */
  private static int readValue(String text, int from, StringBuilder value) {
    int i = from;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == ',') {
        if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
          value.append(',');
          i += 2;
          continue;
        }
        return i + 1;
      }
      value.append(c);
      i++;
    }
    return i;
  }

  /**
   * The Unix socket paths at which this command line opens a QMP monitor, as written (relative ones
   * are relative to QEMU's working directory): {@code -qmp} or {@code -qmp-pretty} with {@code
   * unix:PATH} (or {@code mon:unix:PATH}), or with {@code chardev:ID} or {@code -mon
   * ID,mode=control} on a {@code -chardev socket,id=ID,path=PATH}. A human monitor ({@code
   * -monitor}, or {@code -mon} without {@code mode=control}) does not count: QMP cannot talk to it;
   * nor does an abstract socket ({@code abstract=on}), which has no path in the file system, nor a
   * socket without {@code server=on}, which QEMU connects to as a client instead of listening.
   */
  public List<String> qmpSocketPaths() {
    Map<String, String> chardevPaths = new LinkedHashMap<>();
    for (Option o : options("chardev")) {
      Map<String, String> p = parameters(Objects.requireNonNull(o.value()), "backend");
      String id = p.get("id");
      String path = socketPath(p);
      if ("socket".equals(p.get("backend")) && id != null && path != null) {
        chardevPaths.put(id, path);
      }
    }
    List<String> paths = new ArrayList<>();
    for (Option o : options) {
      String value = o.value();
      if (value == null) {
        continue;
      }
      String chardev = null;
      if (o.name().equals("qmp") || o.name().equals("qmp-pretty")) {
        String spec = value.startsWith("mon:") ? value.substring(4) : value;
        if (spec.startsWith("unix:")) {
          String path = socketPath(parameters(spec.substring(5), "path"));
          if (path != null) {
            paths.add(path);
          }
        } else if (value.startsWith("chardev:")) {
          chardev = value.substring(8);
        }
      } else if (o.name().equals("mon")) {
        Map<String, String> p = parameters(value, "chardev");
        if ("control".equals(p.get("mode"))) {
          chardev = p.get("chardev");
        }
      }
      if (chardev != null && chardevPaths.containsKey(chardev)) {
        paths.add(chardevPaths.get(chardev));
      }
    }
    return paths;
  }

  /**
   * The path a socket chardev listens on: none for an abstract socket, nor for a client (QEMU's
   * socket chardevs connect out unless {@code server} is on, and then exit if nothing listens).
   */
  private static @Nullable String socketPath(Map<String, String> params) {
    String path = params.get("path");
    return path == null
            || path.isEmpty()
            || isOn(params.get("abstract"))
            || !isOn(params.get("server"))
        ? null
        : path;
  }
}
