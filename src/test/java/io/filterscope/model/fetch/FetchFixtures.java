package io.filterscope.model.fetch;

import io.filterscope.engine.param.InputSpace;
import io.filterscope.train.LeNet;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.util.ModelSerializer;

/** Catalogue entries and files for download tests, with hashes the tests know. */
public final class FetchFixtures {
    /** Three classes in the layout of Keras' imagenet_class_index.json. */
    public static final String LABELS_JSON =
            "{\"0\": [\"n01440764\", \"tench\"], \"1\": [\"n01443537\", \"goldfish\"], \"2\": [\"n01484850\", \"great_white_shark\"]}";

    private FetchFixtures() {
    }

    /** A catalogue entry for a small DL4J model with three classes, published at a URL nobody serves. */
    public static KnownModel dl4jModel(byte[] zip, String labelsMd5) throws Exception {
        return new KnownModel("tiny-dl4j", "a small test model with a classifier", "tiny_dl4j_inference.zip",
                URI.create("https://models.example.invalid/tiny_dl4j_inference.zip"), Checksum.hex(sha256(zip)),
                zip.length, KnownModel.Format.DL4J_ZIP, null, List.of(1, 28, 28), InputSpace.UNIT,
                new KnownModel.Labels("classes.json", URI.create("https://models.example.invalid/classes.json"),
                        Checksum.hex(labelsMd5), 3),
                "noise", "MIT");
    }

    /**
     * A catalogue entry for weights-only bytes with VGG16's architecture, input and licence; named .bin so that
     * the models directory does not read the test's random bytes as an HDF5 file.
     */
    public static KnownModel weightsOnly(byte[] weights) throws Exception {
        KnownModel vgg16 = KnownModels.byName("vgg16");
        return new KnownModel("tiny-notop", vgg16.description(), "tiny_notop.bin",
                URI.create("https://models.example.invalid/tiny_notop.bin"), Checksum.hex(md5(weights)), weights.length,
                KnownModel.Format.KERAS_H5, vgg16.architecture(), vgg16.inputShape(), vgg16.input(), null,
                vgg16.dataset(), vgg16.licence());
    }

    /** The same catalogue entry with another published hash: how a test serves its own file under a real name. */
    public static KnownModel withChecksum(KnownModel m, Checksum checksum) {
        return new KnownModel(m.name(), m.description(), m.fileName(), m.url(), checksum, m.approxBytes(), m.format(),
                m.architecture(), m.inputShape(), m.input(), m.labels(), m.dataset(), m.licence());
    }

    public static byte[] lenetZip() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelSerializer.writeModel(LeNet.create(28, 1, 3, 7), out, false);
        return out.toByteArray();
    }

    public static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static String md5(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }

    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /**
     * A TLS context for 127.0.0.1 with a certificate keytool makes in {@code dir}, which also trusts that
     * certificate (and nothing else): for a test HTTPS server and its client.
     */
    public static javax.net.ssl.SSLContext selfSignedTls(java.nio.file.Path dir) throws Exception {
        java.nio.file.Path store = dir.resolve("tls.p12");
        Process keytool = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-alias", "test",
                "-keyalg", "RSA", "-keysize", "2048", "-validity", "1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1")
                .redirectErrorStream(true).start();
        String said = new String(keytool.getInputStream().readAllBytes());
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool failed: " + said);
        }
        java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        javax.net.ssl.KeyManagerFactory km = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        km.init(keys, "changeit".toCharArray());
        javax.net.ssl.TrustManagerFactory tm = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tm.init(keys);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(km.getKeyManagers(), tm.getTrustManagers(), null);
        return context;
    }
}
