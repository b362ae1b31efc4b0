package io.github.qemucpr.qmp.internal.wire;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;

/** A TCP connection to a QMP server started with {@code -qmp tcp:HOST:PORT,server=on}. */
public final class TcpTransport implements Transport {

  private final String description;
  private final Socket socket;
  private final InputStream input;
  private final OutputStream output;
  private final Object writeLock = new Object();

  private TcpTransport(String description, Socket socket) throws IOException {
    this.description = description;
    this.socket = socket;
    this.input = socket.getInputStream();
    this.output = socket.getOutputStream();
  }

  /** Connects within {@code timeout}. */
  public static TcpTransport connect(String host, int port, Duration timeout) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(
          new InetSocketAddress(host, port),
          (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
      return new TcpTransport(host + ":" + port, socket);
    } catch (IOException | RuntimeException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // the connect failure is what matters
      }
      throw e;
    }
  }

  @Override
  public InputStream input() {
    return input;
  }

  @Override
  public void write(byte[] bytes, List<FileDescriptor> fds) throws IOException {
    if (!fds.isEmpty()) {
      throw new UnsupportedOperationException(
          "file descriptors can only be passed over a Unix socket, not over TCP ("
              + description
              + ")");
    }
    synchronized (writeLock) {
      try {
        output.write(bytes);
        output.flush();
      } catch (SocketException e) {
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("Broken pipe") || m.startsWith("Connection reset")) {
          throw new PeerClosedException("tcp:" + description + " was closed by its peer: " + m, e);
        }
        throw e;
      }
    }
  }

  @Override
  public boolean canPassFileDescriptors() {
    return false;
  }

  @Override
  public String describe() {
    return "tcp:" + description;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
