package io.github.qemucpr.qmp.internal.wire;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.List;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A Unix domain socket through junixsocket, which (unlike the JDK) can pass file descriptors. */
public final class UnixSocketTransport implements Transport {

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

  /** Connects to the socket at {@code path}; connecting a Unix socket does not block for long. */
  public static UnixSocketTransport connect(Path path) throws IOException {
    AFUNIXSocket socket = AFUNIXSocket.newInstance();
    try {
      socket.connect(AFUNIXSocketAddress.of(path));
      return new UnixSocketTransport(path, socket);
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw e;
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

  private static void closeQuietly(AFUNIXSocket socket) {
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
