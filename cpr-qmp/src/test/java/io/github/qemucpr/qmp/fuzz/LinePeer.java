package io.github.qemucpr.qmp.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A bare Unix socket peer for fuzzing: unlike {@code FakeQmpServer} and {@code FakeGuestAgent} it
 * parses nothing, so a fuzz input decides every byte the client reads. It serves one connection at
 * a time, like QEMU, and stays up across connections so that a fuzz run does not pay for a socket
 * per input. Requests are split at newlines (and at 0xFF, the guest agent's delimiter) and handed
 * to the current {@link Handler}. Thread-safe.
 */
public final class LinePeer implements AutoCloseable {

  private static final AtomicInteger COUNT = new AtomicInteger();

  /** What the peer does on a connection. */
  public interface Handler {
    /** A client connected. */
    void connected(Out out);

    /** A client sent a request line (without its newline). */
    void request(byte[] line, Out out);
  }

  /** The connection, as a handler writes to it. */
  public interface Out {
    /** Writes the bytes; {@code false} if the client is gone. */
    boolean write(byte[] bytes);

    /** Closes the connection. */
    void close();
  }

  private final Path dir;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private volatile Handler handler;
  private volatile @Nullable SocketChannel current;
  private volatile boolean closed;

  private LinePeer(Handler handler) throws IOException {
    this.handler = handler;
    this.dir = Files.createTempDirectory("line-peer");
    this.socket = dir.resolve("peer.sock");
    this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    this.acceptor = new Thread(this::acceptLoop, "line-peer-" + COUNT.incrementAndGet());
    acceptor.setDaemon(true);
  }

  /** Starts a peer on a fresh socket. */
  public static LinePeer start(Handler handler) {
    try {
      LinePeer peer = new LinePeer(handler);
      peer.acceptor.start();
      return peer;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The socket to connect to. */
  public Path socketPath() {
    return socket;
  }

  /** Replaces the handler, for the next connection or request. */
  public void handler(Handler next) {
    this.handler = next;
  }

  /** Closes the current connection, if any. */
  public void disconnect() {
    SocketChannel c = current;
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
    disconnect();
    try {
      acceptor.join(2000);
      Files.deleteIfExists(socket);
      Files.deleteIfExists(dir);
    } catch (IOException | InterruptedException ignored) {
      // best effort
    }
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        return;
      }
      current = channel;
      try {
        serve(channel);
      } finally {
        current = null;
        try {
          channel.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }
  }

  private void serve(SocketChannel channel) {
    Out out =
        new Out() {
          @Override
          public boolean write(byte[] bytes) {
            synchronized (this) {
              try {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                  channel.write(b);
                }
                return true;
              } catch (IOException e) {
                return false; // the client is gone
              }
            }
          }

          @Override
          public void close() {
            try {
              channel.close();
            } catch (IOException ignored) {
              // already closed
            }
          }
        };
    handler.connected(out);
    ByteBuffer buffer = ByteBuffer.allocate(8192);
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      while (channel.read(buffer.clear()) >= 0) {
        for (int i = 0; i < buffer.position(); i++) {
          byte b = buffer.get(i);
          if (b == '\n' || b == (byte) 0xFF) {
            if (line.size() > 0) {
              handler.request(line.toByteArray(), out);
              line.reset();
            }
          } else {
            line.write(b);
          }
        }
      }
    } catch (IOException e) {
      // the client or a handler closed the connection
    }
  }
}
