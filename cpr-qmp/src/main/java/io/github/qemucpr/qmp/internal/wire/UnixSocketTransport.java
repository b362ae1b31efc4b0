package io.github.qemucpr.qmp.internal.wire;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.BrokenPipeSocketException;
import org.newsclub.net.unix.ConnectionResetSocketException;

/** A Unix domain socket through junixsocket, which (unlike the JDK) can pass file descriptors. */
public final class UnixSocketTransport implements Transport {

  private static final long RETRY_MILLIS = 10;

  private final Path path;
  private final AFUNIXSocket socket;
  private final InputStream input;
  private final OutputStream output;
  private final Object writeLock = new Object();

  private UnixSocketTransport(Path path, AFUNIXSocket socket) throws IOException {
    this.path = path;
    this.socket = socket;
    this.input = socket.getInputStream();
    this.output = socket.getOutputStream();
  }

  /**
   * Connects to the socket at {@code path}, giving up after {@code timeout}.
   *
   * <p>A Unix socket's connect blocks while the listener's backlog is full (a QEMU that is stopped,
   * or a process that listens and never accepts), and junixsocket ignores a connect timeout (its
   * issue 176). So the connect is made non-blocking: while the kernel answers that the backlog is
   * full, it is tried again every 10 ms on a fresh socket until the timeout, then fails with a
   * {@link SocketTimeoutException} that says so. The connected socket is put back in blocking mode
   * for the reader thread and the writes.
   */
  public static UnixSocketTransport connect(Path path, Duration timeout) throws IOException {
    AFUNIXSocketAddress address = AFUNIXSocketAddress.of(path);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      AFUNIXSocketChannel channel = AFUNIXSocketChannel.open();
      try {
        channel.configureBlocking(false);
        // false: EAGAIN, the backlog is full. junixsocket then reports the channel as pending and
        // even "connected", but it is not: a fresh socket is the only honest retry.
        if (channel.connect(address)) {
          channel.configureBlocking(true);
          if (!(channel.socket() instanceof AFUNIXSocket socket)) {
            throw new IOException("junixsocket gave no Unix socket for " + path);
          }
          return new UnixSocketTransport(path, socket);
        }
      } catch (IOException | RuntimeException e) {
        closeQuietly(channel);
        throw e;
      }
      closeQuietly(channel);
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException(
            "the socket "
                + path
                + " accepts no connection within "
                + timeout.toMillis()
                + " ms: its backlog is full (is the process that listens stopped, or hung?)");
      }
      try {
        Thread.sleep(Math.min(RETRY_MILLIS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while connecting to " + path);
      }
    }
  }

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public void write(byte[] bytes, List<FileDescriptor> fds) throws IOException {
    synchronized (writeLock) {
      if (!fds.isEmpty()) {
        socket.setOutboundFileDescriptors(fds.toArray(FileDescriptor[]::new));
      }
      try {
        output.write(bytes);
        output.flush();
      } catch (BrokenPipeSocketException | ConnectionResetSocketException e) {
        throw new PeerClosedException(path + " was closed by its peer: " + e.getMessage(), e);
      } finally {
        if (!fds.isEmpty()) {
          socket.setOutboundFileDescriptors((FileDescriptor[]) null);
        }
      }
    }
  }

  @Override
  public java.util.OptionalLong peerProcessId() {
    try {
      long pid = socket.getPeerCredentials().getPid();
      return pid > 0 ? java.util.OptionalLong.of(pid) : java.util.OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return java.util.OptionalLong.empty(); // closed, or credentials not available here
    }
  }

  @Override
  public boolean canPassFileDescriptors() {
    return true;
  }

  @Override
  public String describe() {
    return path.toString();
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  private static void closeQuietly(Closeable socket) {
    try {
      socket.close();
    } catch (IOException | RuntimeException ignored) {
      // SocketException on an already closed socket: nothing left to release.
    }
  }

  /** Whether {@code e} only says that the socket was closed underneath a blocked read. */
  static boolean isClosedSocket(IOException e) {
    return e instanceof SocketException;
  }
}
