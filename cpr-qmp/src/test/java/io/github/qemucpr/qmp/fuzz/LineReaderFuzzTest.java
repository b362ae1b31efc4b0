package io.github.qemucpr.qmp.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.qmp.internal.wire.LineReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the newline framing shared by QMP and the guest agent against a model written from its
 * contract, not from its code: any bytes, cut into any chunks, with any limit, give the same lines,
 * the same limit errors and the same end as the model; and the reader never reads more than its
 * buffer ahead of the model. After a limit error it skips to the next 0xFF, as the guest agent's
 * reader does.
 *
 * <p>Input layout: byte 0 picks the limit (1..64, or just below or above the reader's 16 KiB
 * buffer) and whether the stream is repeated past that buffer; byte 1 seeds the chunk sizes; the
 * rest is the stream.
 */
@Timeout(600) // a coverage-guided run (JAZZER_FUZZ=1) takes its maxDuration
class LineReaderFuzzTest {

  private static final int READER_BUFFER = 16 * 1024;
  private static final Object TOO_LARGE = "TOO_LARGE";
  private static final Object SKIPPED_TO_END = "SKIPPED_TO_END";
  private static final Object TRUNCATED = "TRUNCATED";
  private static final Object END = "END";

  @FuzzTest(maxDuration = "2m")
  void framing(byte[] data) throws IOException {
    if (data.length < 2) {
      return;
    }
    int mode = data[0] & 0xFF;
    int limit = (mode & 0x80) != 0 ? READER_BUFFER - 32 + (mode & 0x3F) : 1 + (mode & 0x3F);
    byte[] stream = Arrays.copyOfRange(data, 2, data.length);
    if ((mode & 0x40) != 0 && stream.length > 0) {
      stream = repeat(stream, READER_BUFFER + 4096);
    }
    List<Object> expected = new ArrayList<>();
    List<Integer> consumedByModel = new ArrayList<>();
    model(stream, limit, expected, consumedByModel);

    ChunkedStream in = new ChunkedStream(stream, data[1] & 0xFF);
    LineReader reader = new LineReader(in, limit);
    List<Object> actual = new ArrayList<>();
    boolean more = true;
    while (more) {
      try {
        byte[] line = reader.readLine();
        if (line == null) {
          actual.add(END);
          more = false;
        } else {
          assertThat(line.length).isBetween(1, limit);
          actual.add(new Line(line));
        }
      } catch (FrameTooLargeException e) {
        actual.add(TOO_LARGE);
        if (!reader.skipPast((byte) 0xFF)) {
          actual.add(SKIPPED_TO_END);
          more = false;
        }
      } catch (EOFException e) {
        actual.add(TRUNCATED);
        more = false;
      }
      // The reader may run ahead of the model by one buffer, no more.
      int step = actual.size() - 1;
      if (step < consumedByModel.size()) {
        assertThat(in.consumed)
            .as("bytes read by event %d", step)
            .isLessThanOrEqualTo(consumedByModel.get(step) + READER_BUFFER);
      }
    }
    assertThat(actual)
        .as("limit %d, stream %s", limit, FuzzBudget.describe(stream))
        .isEqualTo(expected);
  }

  @Test
  void framingOnABudget() throws InterruptedException {
    FuzzBudget.run(
        getClass(),
        "framing",
        FuzzBudget.tries(5_000, 1),
        4096,
        List.of("\n", "\r\n", "\r", "\u00ff", "{\"return\": {}}\n"),
        Duration.ofSeconds(10),
        this::framing);
  }

  /**
   * The framing contract, as a reader of the QMP specification would write it; {@code
   * consumedAfter} gets, for each event, how far into the stream it lies.
   */
  private static void model(
      byte[] stream, int limit, List<Object> events, List<Integer> consumedAfter) {
    int pos = 0;
    while (true) {
      int newline = indexOf(stream, (byte) '\n', pos);
      int end = newline < 0 ? stream.length : newline;
      if (end - pos > limit) {
        // limit bytes are taken, and the next one (not a newline) is the one too many
        events.add(TOO_LARGE);
        int delimiter = indexOf(stream, (byte) 0xFF, pos + limit + 1);
        if (delimiter < 0) {
          consumedAfter.add(stream.length);
          events.add(SKIPPED_TO_END);
          consumedAfter.add(stream.length);
          return;
        }
        pos = delimiter + 1;
        consumedAfter.add(pos);
        continue;
      }
      if (newline < 0) {
        events.add(end == pos ? END : TRUNCATED);
        consumedAfter.add(stream.length);
        return;
      }
      int lineEnd = end > pos && stream[end - 1] == '\r' ? end - 1 : end;
      byte[] line = Arrays.copyOfRange(stream, pos, lineEnd);
      pos = newline + 1;
      if (line.length > 0) {
        events.add(new Line(line));
        consumedAfter.add(pos);
      }
    }
  }

  private static int indexOf(byte[] bytes, byte b, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static byte[] repeat(byte[] bytes, int atLeast) {
    byte[] out = new byte[((atLeast + bytes.length - 1) / bytes.length) * bytes.length];
    for (int i = 0; i < out.length; i += bytes.length) {
      System.arraycopy(bytes, 0, out, i, bytes.length);
    }
    return out;
  }

  /** A line, compared by content. */
  private record Line(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Line l && Arrays.equals(bytes, l.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return FuzzBudget.describe(bytes);
    }
  }

  /** Hands out the stream in chunks of pseudo-random sizes, as a socket does, counting bytes. */
  private static final class ChunkedStream extends InputStream {
    private final byte[] data;
    private final SplittableRandom sizes;
    private final boolean whole;
    private final boolean honest;
    private int position;
    int consumed;

    ChunkedStream(byte[] data, int seed) {
      this.data = data;
      this.sizes = new SplittableRandom(seed);
      this.whole = seed == 0;
      this.honest = seed % 2 == 0;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("LineReader reads in bulk");
    }

    /** What a socket says is waiting (FIONREAD), or nothing for odd seeds, as a plain stream. */
    @Override
    public int available() {
      return honest ? data.length - position : 0;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position == data.length) {
        return -1;
      }
      int chunk = whole ? len : 1 + sizes.nextInt(sizes.nextBoolean() ? 3 : 64);
      int n = Math.min(Math.min(chunk, len), data.length - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      consumed += n;
      return n;
    }
  }
}
