package io.filterscope.model.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.zip.Adler32;

/**
 * The published hash of a file: MD5 (what Keras publishes for its weights), SHA-256, or Adler-32 (what
 * DL4J's zoo publishes, as a decimal number).
 */
public record Checksum(String algorithm, String expected) {
    public static final String MD5 = "md5";
    public static final String SHA256 = "sha256";
    public static final String ADLER32 = "adler32";

    public Checksum {
        if (!algorithm.equals(MD5) && !algorithm.equals(SHA256) && !algorithm.equals(ADLER32)) {
            throw new IllegalArgumentException("unknown hash algorithm " + algorithm);
        }
        expected = expected.trim().toLowerCase(Locale.ROOT);
    }

    /** A hex digest, MD5 or SHA-256 told apart by its length (32 or 64 digits). */
    public static Checksum hex(String digest) {
        String d = digest.trim();
        if (!d.matches("[0-9a-fA-F]+") || (d.length() != 32 && d.length() != 64)) {
            throw new IllegalArgumentException("not an MD5 or SHA-256 hex digest: " + digest);
        }
        return new Checksum(d.length() == 32 ? MD5 : SHA256, d);
    }

    /** DL4J's zoo checksum: the Adler-32 of the file, as an unsigned decimal number. */
    public static Checksum adler32(long value) {
        return new Checksum(ADLER32, Long.toString(value));
    }

    public boolean matches(String actual) {
        return expected.equals(actual);
    }

    /** This checksum's algorithm applied to a file. */
    public String of(Path file) throws IOException {
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            if (algorithm.equals(ADLER32)) {
                Adler32 adler = new Adler32();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    adler.update(buffer, 0, n);
                }
                return Long.toString(adler.getValue());
            }
            MessageDigest digest = MessageDigest.getInstance(algorithm.equals(MD5) ? "MD5" : "SHA-256");
            for (int n; (n = in.read(buffer)) >= 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return algorithm + " " + expected;
    }
}
