package io.github.qemucpr.api.internal.cmdline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.api.internal.cmdline.QemuArgs.Option;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** QEMU's command line read as QEMU's lookup_opt reads it. */
class QemuArgsTest {
  private static final String QEMU = "/usr/bin/qemu-system-x86_64";

  private static QemuArgs parse(String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of(QEMU));
    argv.addAll(List.of(args));
    return QemuArgs.parse(argv);
  }

  @Test
  void anOptionWithAValueTakesTheNextArgumentWhateverItLooksLike() {
    QemuArgs a = parse("-name", "-incoming", "-m", "256", "--append", "-daemonize -S", "-S");
    assertThat(a.options())
        .containsExactly(
            new Option(1, "-name", "name", "-incoming"),
            new Option(3, "-m", "m", "256"),
            new Option(5, "--append", "append", "-daemonize -S"),
            new Option(7, "-S", "S", null));
    assertThat(a.has("incoming")).isFalse();
    assertThat(a.has("daemonize")).isFalse();
    assertThat(a.has("S")).isTrue();
    assertThat(a.unknownOptions()).isEmpty();
    assertThat(a.missingValue()).isNull();
  }

  @Test
  void bothSpellingsAreTheSameOption() {
    QemuArgs a = parse("--incoming", "defer", "-incoming", "file:/x", "--daemonize");
    assertThat(a.options("incoming"))
        .extracting(Option::spelling, Option::value)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("--incoming", "defer"),
            org.assertj.core.groups.Tuple.tuple("-incoming", "file:/x"));
    assertThat(a.options("daemonize")).extracting(Option::spelling).containsExactly("--daemonize");
  }

  @Test
  void theValueOfIncomingIsTakenEvenWhenItLooksLikeAnOption() {
    QemuArgs a = parse("-incoming", "-daemonize", "-m", "1G");
    assertThat(a.options("incoming"))
        .singleElement()
        .extracting(Option::value)
        .isEqualTo("-daemonize");
    assertThat(a.has("daemonize")).isFalse();
    assertThat(a.without(Set.of("incoming", "daemonize"))).containsExactly(QEMU, "-m", "1G");
  }

  @Test
  void equalsIsNotQemuSyntaxAndUnknownOptionsTakeNoValue() {
    // QEMU refuses "-incoming=defer" as an invalid option, and so does not read -incoming there.
    QemuArgs a = parse("-incoming=defer", "-frobnicate", "-daemonize", "-", "--", "---m", "1G");
    assertThat(a.has("incoming")).isFalse();
    assertThat(a.has("daemonize")).isTrue(); // not hidden as the value of an unknown option
    assertThat(a.unknownOptions())
        .extracting(Option::spelling)
        .containsExactly("-incoming=defer", "-frobnicate", "-", "--", "---m");
  }

  @Test
  void argumentsThatAreNotOptionsAreDiskImages() {
    QemuArgs a = parse("disk.img", "", "-snapshot", "other.qcow2", "-m", "1G");
    assertThat(a.options()).extracting(Option::name).containsExactly("snapshot", "m");
    assertThat(a.without(Set.of("snapshot")))
        .containsExactly(QEMU, "disk.img", "", "other.qcow2", "-m", "1G");
  }

  @Test
  void anOptionAtTheEndWithoutItsValueIsSeen() {
    QemuArgs a = parse("-m", "1G", "--name");
    assertThat(a.missingValue()).isEqualTo(new Option(3, "--name", "name", null));
    assertThat(parse("-m", "1G", "-S").missingValue()).isNull();
  }

  @Test
  void withoutDropsEachOptionWithItsValueAndKeepsTheRestInOrder() {
    QemuArgs a =
        parse(
            "-daemonize",
            "-name",
            "-incoming",
            "--incoming",
            "defer",
            "-m",
            "256",
            "-daemonize",
            "-incoming",
            "file:/old.state");
    assertThat(a.without(Set.of("incoming", "daemonize")))
        .containsExactly(QEMU, "-name", "-incoming", "-m", "256");
    assertThat(a.argv().get(0)).isEqualTo(QEMU);
  }

  @Test
  void anEmptyCommandLineIsRefused() {
    assertThatThrownBy(() -> QemuArgs.parse(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parametersFollowQemuOpts() {
    assertThat(QemuArgs.parameters("/run/a,,b.sock,server=on,wait=off", "path"))
        .containsExactly(
            Map.entry("path", "/run/a,b.sock"),
            Map.entry("server", "on"),
            Map.entry("wait", "off"));
    assertThat(QemuArgs.parameters("path=/run/q.sock,server,nowait", "path"))
        .containsExactly(
            Map.entry("path", "/run/q.sock"), Map.entry("server", "on"), Map.entry("wait", "off"));
    // "=" before the first comma makes the first element key=value, as QEMU reads it.
    assertThat(QemuArgs.parameters("on,spawn=deny", "enable"))
        .containsExactly(Map.entry("enable", "on"), Map.entry("spawn", "deny"));
    assertThat(QemuArgs.parameters("id=x,path=a,path=b", null)).containsEntry("path", "b");
  }

  @Test
  void qmpMonitorsAreFoundInEveryFormAndHumanMonitorsAreNot() {
    QemuArgs a =
        parse(
            "-qmp", "unix:/run/a.sock,server=on,wait=off",
            "--qmp-pretty", "mon:unix:rel/b.sock,server=on",
            "-chardev", "socket,id=c1,path=/run/c,,1.sock,server=on,wait=off",
            "-mon", "chardev=c1,mode=control",
            "-chardev", "socket,id=c2,path=/run/d.sock,server=on",
            "-qmp", "chardev:c2",
            "-chardev", "socket,id=h,path=/run/hmp.sock,server=on",
            "-mon", "h",
            "-monitor", "unix:/run/hmp2.sock,server=on",
            "-qmp", "unix:/run/abstract,abstract=on,server=on",
            "-qmp", "tcp:127.0.0.1:4444,server=on",
            "-name", "-qmp");
    assertThat(a.qmpSocketPaths())
        .containsExactly("/run/a.sock", "rel/b.sock", "/run/c,1.sock", "/run/d.sock");
  }
}
