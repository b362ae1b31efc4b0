package io.github.qemucpr.qmp.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.qmp.internal.wire.LineReader;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A line that never ends, as the framing sees it: the reader stops one byte past the limit, having
 * read at most one buffer more, and having allocated about twice the limit (its line buffer grows
 * by doubling), whatever the peer has in store.
 */
@Timeout(30)
class EndlessLineTest {

  private static final int LIMIT = 4 * 1024 * 1024;
  private static final int READER_BUFFER = 16 * 1024;

  @Test
  void aLineOverTheLimitFailsAfterBoundedReadingAndAllocation() throws Exception {
    Endless in = new Endless();
    allocatedByThisThread(); // loads what the measurement itself needs
    FrameTooLargeException failure = null;

    long before = allocatedByThisThread();
    try {
      new LineReader(in, LIMIT).readLine();
    } catch (FrameTooLargeException e) {
      failure = e;
    }
    long allocated = allocatedByThisThread() - before;

    assertThat(failure).hasMessageContaining("limit of " + LIMIT + " bytes");
    assertThat(in.served).isBetween((long) LIMIT + 1, (long) LIMIT + READER_BUFFER);
    // The line buffer doubles up to the limit (about 2 x LIMIT in all), plus the read buffer.
    assertThat(allocated).isLessThan(2L * LIMIT + 1024 * 1024);
  }

  @Test
  void aLineOfExactlyTheLimitIsReadAndTheReaderGoesOn() throws Exception {
    byte[] stream = new byte[LIMIT + 1 + 3];
    Arrays.fill(stream, 0, LIMIT, (byte) 'x');
    stream[LIMIT] = '\n';
    stream[LIMIT + 1] = 'o';
    stream[LIMIT + 2] = 'k';
    stream[LIMIT + 3] = '\n';
    LineReader reader = new LineReader(new java.io.ByteArrayInputStream(stream), LIMIT);

    assertThat(reader.readLine()).hasSize(LIMIT);
    assertThat(reader.readLine()).isEqualTo("ok".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(reader.readLine()).isNull();
  }

  /**
   * HotSpot's count of the bytes this thread allocated. Reflective, because the test classes
   * compile inside the module, which does not read java.management.
   */
  private static long allocatedByThisThread() {
    try {
      Object bean =
          Class.forName("java.lang.management.ManagementFactory")
              .getMethod("getThreadMXBean")
              .invoke(null);
      Method allocated =
          Class.forName("com.sun.management.ThreadMXBean")
              .getMethod("getCurrentThreadAllocatedBytes");
      return (long) allocated.invoke(bean);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this test needs HotSpot's com.sun.management", e);
    }
  }

  /** An endless stream of 'x', counting what it served. */
  private static final class Endless extends InputStream {
    long served;

    @Override
    public int read() {
      served++;
      return 'x';
    }

    @Override
    public int read(byte[] b, int off, int len) {
      Arrays.fill(b, off, off + len, (byte) 'x');
      served += len;
      return len;
    }
  }
}
