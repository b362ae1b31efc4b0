package io.github.qemucpr.qmp.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes fuzz inputs from seeds, in the manner of libFuzzer's mutators but without coverage
 * feedback: bit flips, interesting bytes (0xFF, newline, quote, brackets), dictionary tokens (QMP
 * member names, extreme numbers), deletions, duplications, splices and plain random bytes.
 * Deterministic for a given {@link SplittableRandom}. Not thread-safe.
 */
public final class Mutator {

  /** Bytes that matter to the framing and to JSON. */
  private static final byte[] INTERESTING_BYTES = {
    0,
    (byte) 0xFF,
    '\n',
    '\r',
    '"',
    '\\',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    ' ',
    '0',
    '-',
    'e',
    0x7F,
    (byte) 0x80,
    (byte) 0xC0,
    (byte) 0xFE,
    (byte) 0xEF,
    (byte) 0xBB,
    (byte) 0xBF
  };

  /** Tokens of JSON and of QMP that random bytes would rarely hit. */
  public static final List<String> JSON_TOKENS =
      List.of(
          "{",
          "}",
          "[",
          "]",
          ",",
          ":",
          "\"",
          "null",
          "true",
          "false",
          "0",
          "-1",
          "1.5",
          "-0",
          "1e999",
          "-1e999",
          "1E-400",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775809",
          "2147483648",
          "99999999999999999999999999999",
          "0x10",
          "NaN",
          "\"\\u0000\"",
          "\"\\ud800\"",
          "\"\"",
          "{}",
          "[]",
          "[[[[[[[[[[",
          "]]]]]]]]]]",
          "\"QMP\"",
          "\"version\"",
          "\"qemu\"",
          "\"major\"",
          "\"minor\"",
          "\"micro\"",
          "\"package\"",
          "\"capabilities\"",
          "\"oob\"",
          "\"return\"",
          "\"error\"",
          "\"class\"",
          "\"desc\"",
          "\"id\"",
          "\"event\"",
          "\"data\"",
          "\"timestamp\"",
          "\"seconds\"",
          "\"microseconds\"",
          "\"status\"",
          "\"running\"",
          "\"MIGRATION\"",
          "\"STOP\"",
          "\"SHUTDOWN\"",
          "\"RESET\"",
          "\"MIGRATION_PASS\"",
          "\"pass\"",
          "\"guest\"",
          "\"reason\"",
          "\"completed\"",
          "\"failed\"",
          "\"CommandNotFound\"",
          "\"GenericError\"",
          "\"execute\"",
          "\"arguments\"",
          "\n",
          "\r\n",
          "\u00ff");

  private final SplittableRandom random;
  private final List<byte[]> seeds;
  private final List<byte[]> dictionary;
  private final int maxLength;

  /**
   * A mutator over {@code seeds} (may be empty), with extra dictionary {@code tokens}, making
   * inputs of at most {@code maxLength} bytes.
   */
  public Mutator(SplittableRandom random, List<byte[]> seeds, List<String> tokens, int maxLength) {
    this.random = random;
    this.seeds = List.copyOf(seeds);
    List<byte[]> dict = new ArrayList<>();
    for (String t : tokens) {
      dict.add(t.getBytes(StandardCharsets.UTF_8));
    }
    dict.add(new byte[] {(byte) 0xFF});
    this.dictionary = List.copyOf(dict);
    this.maxLength = maxLength;
  }

  /** The next input. */
  public byte[] next() {
    int kind = random.nextInt(100);
    if (seeds.isEmpty() || kind < 5) {
      return randomBytes();
    }
    byte[] data = seeds.get(random.nextInt(seeds.size())).clone();
    if (kind < 10) {
      return cap(data);
    }
    if (kind < 55) {
      byte[] edited = JsonEdits.edit(data, random, this::token);
      if (edited != null) {
        return cap(random.nextInt(4) == 0 ? mutate(edited) : edited);
      }
    }
    int rounds = 1 + random.nextInt(random.nextBoolean() ? 2 : 8);
    for (int i = 0; i < rounds; i++) {
      data = mutate(data);
    }
    return cap(data);
  }

  private byte[] mutate(byte[] data) {
    int n = data.length;
    switch (random.nextInt(10)) {
      case 0: // flip a bit
        if (n > 0) {
          data[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
        }
        return data;
      case 1: // an interesting byte
        if (n > 0) {
          data[random.nextInt(n)] = INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
        }
        return data;
      case 2: // insert a token
      case 3:
        return insert(data, random.nextInt(n + 1), token());
      case 4: // overwrite with a token
        if (n > 0) {
          byte[] t = token();
          int at = random.nextInt(n);
          int len = Math.min(1 + random.nextInt(8), n - at);
          return concat(Arrays.copyOf(data, at), t, Arrays.copyOfRange(data, at + len, n));
        }
        return insert(data, 0, token());
      case 5: // delete a range
        if (n > 1) {
          int at = random.nextInt(n);
          int len = 1 + random.nextInt(Math.min(16, n - at));
          return concat(Arrays.copyOf(data, at), Arrays.copyOfRange(data, at + len, n));
        }
        return data;
      case 6: // duplicate a range
        if (n > 0) {
          int at = random.nextInt(n);
          int len = 1 + random.nextInt(Math.min(64, n - at));
          byte[] range = Arrays.copyOfRange(data, at, at + len);
          return insert(data, random.nextInt(n + 1), range);
        }
        return data;
      case 7: // splice with another seed
        if (!seeds.isEmpty()) {
          byte[] other = seeds.get(random.nextInt(seeds.size()));
          int cut = random.nextInt(n + 1);
          int from = random.nextInt(other.length + 1);
          return concat(Arrays.copyOf(data, cut), Arrays.copyOfRange(other, from, other.length));
        }
        return data;
      case 8: // truncate
        return n > 0 ? Arrays.copyOf(data, random.nextInt(n)) : data;
      default: // random bytes
        byte[] noise = new byte[1 + random.nextInt(8)];
        random.nextBytes(noise);
        return insert(data, random.nextInt(n + 1), noise);
    }
  }

  private byte[] token() {
    return dictionary.get(random.nextInt(dictionary.size()));
  }

  private byte[] randomBytes() {
    byte[] b = new byte[random.nextInt(Math.min(maxLength, 256) + 1)];
    random.nextBytes(b);
    return b;
  }

  private byte[] cap(byte[] data) {
    return data.length <= maxLength ? data : Arrays.copyOf(data, maxLength);
  }

  private static byte[] insert(byte[] data, int at, byte[] piece) {
    return concat(Arrays.copyOf(data, at), piece, Arrays.copyOfRange(data, at, data.length));
  }

  private static byte[] concat(byte[]... parts) {
    int total = 0;
    for (byte[] p : parts) {
      total += p.length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
