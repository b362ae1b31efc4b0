package io.github.qemucpr.qga.command;

import io.github.qemucpr.qga.GuestAgentCommand;
import java.lang.reflect.Type;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code guest-exec}: starts a program in the guest and returns its pid at once; poll {@link
 * GuestExecStatus} for its end, or let {@link io.github.qemucpr.qga.GuestAgentClient#run(GuestExec,
 * java.time.Duration)} do it.
 *
 * <pre>{@code
 * ExecResult r = qga.run(GuestExec.of("cat", "/proc/uptime"), Duration.ofSeconds(10));
 * }</pre>
 *
 * @param path the program, as a path or a name the agent looks up in its {@code PATH}
 * @param args its arguments, without the program name
 * @param env its environment as {@code NAME=value} entries; empty for the agent's default
 * @param input bytes for its standard input, or {@code null} for none
 * @param captureOutput whether the agent keeps its standard output and error for {@link
 *     GuestExecStatus} (the agent caps each at 16 MiB)
 */
public record GuestExec(
    String path,
    List<String> args,
    List<String> env,
    byte @Nullable [] input,
    boolean captureOutput)
    implements GuestAgentCommand<ExecStarted> {
  /** The wire name, {@code guest-exec}. */
  public static final String NAME = "guest-exec";

  /** Checks and copies the arguments. */
  public GuestExec {
    Objects.requireNonNull(path, "path");
    args = List.copyOf(args);
    env = List.copyOf(env);
    input = input == null ? null : input.clone();
  }

  /** Runs {@code path} with {@code args}, capturing its output, with no input. */
  public static GuestExec of(String path, String... args) {
    return new GuestExec(path, List.of(args), List.of(), null, true);
  }

  /** Runs {@code path} with {@code args}, capturing its output, with no input. */
  public static GuestExec of(String path, List<String> args) {
    return new GuestExec(path, args, List.of(), null, true);
  }

  /** This command with {@code env} as the environment. */
  public GuestExec withEnv(List<String> env) {
    return new GuestExec(path, args, env, input, captureOutput);
  }

  /** This command with {@code input} as standard input. */
  public GuestExec withInput(byte[] input) {
    return new GuestExec(path, args, env, Objects.requireNonNull(input, "input"), captureOutput);
  }

  /** This command with output capture switched on or off. */
  public GuestExec withCaptureOutput(boolean capture) {
    return new GuestExec(path, args, env, input, capture);
  }

  /** A copy of the standard input, or {@code null}. */
  @Override
  public byte @Nullable [] input() {
    return input == null ? null : input.clone();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Map<String, ?> arguments() {
    Map<String, Object> arguments = new LinkedHashMap<>();
    arguments.put("path", path);
    if (!args.isEmpty()) {
      arguments.put("arg", args);
    }
    if (!env.isEmpty()) {
      arguments.put("env", env);
    }
    if (input != null) {
      arguments.put("input-data", Base64.getEncoder().encodeToString(input));
    }
    arguments.put("capture-output", captureOutput);
    return arguments;
  }

  @Override
  public Type replyType() {
    return ExecStarted.class;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof GuestExec other
        && path.equals(other.path)
        && args.equals(other.args)
        && env.equals(other.env)
        && java.util.Arrays.equals(input, other.input)
        && captureOutput == other.captureOutput;
  }

  @Override
  public int hashCode() {
    return Objects.hash(path, args, env, java.util.Arrays.hashCode(input), captureOutput);
  }

  @Override
  public String toString() {
    return "GuestExec[path="
        + path
        + ", args="
        + args
        + ", env="
        + env
        + ", input="
        + (input == null ? "none" : input.length + " bytes")
        + ", captureOutput="
        + captureOutput
        + "]";
  }
}
