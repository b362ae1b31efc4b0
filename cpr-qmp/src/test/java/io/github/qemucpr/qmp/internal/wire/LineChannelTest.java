package io.github.qemucpr.qmp.internal.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The channel under both engines: its write limit, and how reading ends. */
class LineChannelTest {

  /** A transport whose writes block, as a socket does when the peer stops reading, until closed. */
  private static final class StuckTransport implements Transport {
    final CountDownLatch closed = new CountDownLatch(1);
    final InputStream input;

    /** With {@code input}, or, if null, with a stream that blocks until the transport closes. */
    StuckTransport(@Nullable InputStream input) {
      this.input = input != null ? input : blockingUntil(closed);
    }

    @Override
    public InputStream input() {
      return input;
    }

    @Override
    public void write(byte[] bytes, List<FileDescriptor> fds) throws IOException {
      try {
        closed.await();
      } catch (InterruptedException e) {
        throw new InterruptedIOException();
      }
      throw new IOException("Socket closed");
    }

    @Override
    public boolean canPassFileDescriptors() {
      return false;
    }

    @Override
    public String describe() {
      return "stuck";
    }

    @Override
    public void close() {
      closed.countDown();
    }
  }

  /** An input stream that blocks until its transport is closed, then ends. */
  private static InputStream blockingUntil(CountDownLatch latch) {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        try {
          latch.await();
        } catch (InterruptedException e) {
          throw new InterruptedIOException();
        }
        return -1;
      }
    };
  }

  @Test
  void aWriteThePeerNeverTakesEndsAtItsLimitAndClosesTheChannel() throws Exception {
    CountDownLatch gone = new CountDownLatch(1);
    StuckTransport transport = new StuckTransport(null);
    List<@Nullable Throwable> ends = new CopyOnWriteArrayList<>();
    LineChannel channel =
        new LineChannel(
            transport,
            "test-reader",
            in -> in.read(),
            e -> {
              ends.add(e);
              gone.countDown();
            });
    channel.start();

    assertThatThrownBy(() -> channel.write(new byte[] {'x'}, List.of(), Duration.ofMillis(200)))
        .isInstanceOf(WriteTimeoutException.class)
        .hasMessageContaining("200 ms");
    assertThat(channel.writeAbandoned()).isTrue();
    assertThat(transport.closed.getCount()).as("the transport was closed under the write").isZero();
    assertThat(gone.await(10, TimeUnit.SECONDS)).isTrue();
    channel.join(Duration.ofSeconds(5));
    assertThat(ends).as("the end handler runs once").hasSize(1);
  }

  @Test
  void aReaderThatThrowsAnErrorEndsTheChannelWithThatError() throws Exception {
    CountDownLatch gone = new CountDownLatch(1);
    StuckTransport transport = new StuckTransport(new ByteArrayInputStream(new byte[] {1}));
    List<@Nullable Throwable> ends = new CopyOnWriteArrayList<>();
    StackOverflowError boom = new StackOverflowError("deep");
    LineChannel channel =
        new LineChannel(
            transport,
            "test-reader",
            in -> {
              throw boom;
            },
            e -> {
              ends.add(e);
              gone.countDown();
            });
    channel.start();
    assertThat(gone.await(10, TimeUnit.SECONDS)).isTrue();
    channel.join(Duration.ofSeconds(5));

    assertThat(ends).containsExactly(boom);
    assertThat(transport.closed.getCount())
        .as("the transport is closed after the handler")
        .isZero();
    assertThat(channel.readerThread().isAlive()).isFalse();
  }

  @Test
  void aCleanEndOfStreamIsReportedAsNull() throws Exception {
    CountDownLatch gone = new CountDownLatch(1);
    StuckTransport transport = new StuckTransport(new ByteArrayInputStream(new byte[0]));
    List<@Nullable Throwable> ends = new CopyOnWriteArrayList<>();
    LineChannel channel =
        new LineChannel(
            transport,
            "test-reader",
            in -> {
              while (in.read() >= 0) {
                // drain
              }
            },
            e -> {
              ends.add(e);
              gone.countDown();
            });
    channel.start();
    assertThat(gone.await(10, TimeUnit.SECONDS)).isTrue();
    channel.join(Duration.ofSeconds(5));

    assertThat(ends).hasSize(1).containsNull();
    assertThat(transport.closed.getCount()).isZero();
  }

  /**
   * Review of issue 15, item 2: the watchdog's flag stays set once it closed the channel, so a
   * later write, which fails at once because the channel is closed, is reported as a write that
   * outlived a limit it never had (the earlier write's), not as a write on a closed channel.
   */
  @Test
  void aLaterWriteOnAChannelTheWatchdogClosedSaysClosedNotTimeout() throws Exception {
    CountDownLatch gone = new CountDownLatch(1);
    StuckTransport transport = new StuckTransport(null);
    LineChannel channel =
        new LineChannel(transport, "test-reader", in -> in.read(), e -> gone.countDown());
    channel.start();
    assertThatThrownBy(() -> channel.write(new byte[] {'x'}, List.of(), Duration.ofMillis(200)))
        .isInstanceOf(WriteTimeoutException.class);
    assertThat(gone.await(10, TimeUnit.SECONDS)).isTrue();

    // The channel is closed now: this write fails at once, long before its own 30 s limit.
    assertThatThrownBy(() -> channel.write(new byte[] {'y'}, List.of(), Duration.ofSeconds(30)))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(WriteTimeoutException.class);
    channel.join(Duration.ofSeconds(5));
  }
}
