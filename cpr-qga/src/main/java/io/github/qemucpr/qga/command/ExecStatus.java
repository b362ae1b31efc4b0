package io.github.qemucpr.qga.command;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * The reply to {@link GuestExecStatus}, as the agent sends it (output still base64-encoded; {@link
 * #stdout()} and {@link #stderr()} decode it).
 *
 * @param exited whether the process has ended
 * @param exitCode its exit status ({@code exitcode}), when it ended normally
 * @param signal the signal that killed it, when it did not end normally
 * @param outData its standard output, base64-encoded, when captured
 * @param errData its standard error, base64-encoded, when captured
 * @param outTruncated whether the agent dropped standard output past its limit
 * @param errTruncated whether the agent dropped standard error past its limit
 */
public record ExecStatus(
    boolean exited,
    @Nullable Integer exitCode,
    @Nullable Integer signal,
    @Nullable String outData,
    @Nullable String errData,
    boolean outTruncated,
    boolean errTruncated) {

  /** The decoded standard output; empty when none was captured. */
  public byte[] stdout() {
    return decode(outData);
  }

  /** The decoded standard error; empty when none was captured. */
  public byte[] stderr() {
    return decode(errData);
  }

  /** The standard output as UTF-8 text (malformed bytes replaced). */
  public String stdoutText() {
    return new String(stdout(), StandardCharsets.UTF_8);
  }

  /** The standard error as UTF-8 text (malformed bytes replaced). */
  public String stderrText() {
    return new String(stderr(), StandardCharsets.UTF_8);
  }

  private static byte[] decode(@Nullable String base64) {
    return base64 == null ? new byte[0] : Base64.getMimeDecoder().decode(base64);
  }
}
