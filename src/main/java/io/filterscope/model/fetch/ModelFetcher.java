package io.filterscope.model.fetch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.filterscope.Progress;
import io.filterscope.UserError;
import io.filterscope.model.ModelMetadata;
import io.filterscope.model.ModelStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Puts a {@link KnownModel} into a models directory: its published file (and class names, for a model with a
 * classifier), each verified against its published hash, and {@code NAME.json} beside them. Files already in
 * place and verified are not downloaded again, so placing a file by hand and running this writes its metadata.
 */
public final class ModelFetcher {
    /** Where class-name files go inside the models directory (kept apart from the models' NAME.json files). */
    public static final String LABELS_DIR = "labels";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final String baseUrl;
    private final Downloader downloader;
    private final Supplier<Progress> progress;
    private final Consumer<String> log;

    /**
     * @param baseUrl a mirror that serves every file under its published name ({@code BASE/FILE}), or null for
     *                the published URLs
     * @param progress a fresh progress display for each file
     */
    public ModelFetcher(Path dir, String baseUrl, Downloader downloader, Supplier<Progress> progress,
                        Consumer<String> log) {
        this.dir = dir;
        this.baseUrl = baseUrl == null || baseUrl.isBlank() ? null : baseUrl.replaceAll("/+$", "");
        this.downloader = downloader;
        this.progress = progress;
        this.log = log;
    }

    /** Where a published file is fetched from: its own URL, or the mirror's copy. */
    private URI urlOf(URI published, String fileName) {
        return baseUrl == null ? published : URI.create(baseUrl + "/" + fileName);
    }

    /** @return the metadata file written (or found up to date) */
    public Path fetch(KnownModel model) throws IOException {
        Path metadataFile = dir.resolve(model.name() + ".json");
        refuseToReplaceAnotherModel(metadataFile, model);
        fetchFile(model, model.url(), dir.resolve(model.fileName()), model.checksum(), model.approxBytes());
        List<String> classes = null;
        if (model.labels() != null) {
            KnownModel.Labels labels = model.labels();
            Path file = dir.resolve(LABELS_DIR).resolve(labels.fileName());
            fetchFile(model, labels.url(), file, labels.checksum(), -1);
            classes = ImageNetLabels.read(file, labels.count());
        }
        byte[] json = JSON.writeValueAsBytes(metadata(model, classes));
        if (Files.isRegularFile(metadataFile) && Arrays.equals(Files.readAllBytes(metadataFile), json)) {
            log.accept(metadataFile + " is up to date");
        } else {
            Path tmp = metadataFile.resolveSibling(metadataFile.getFileName() + ".tmp");
            Files.write(tmp, json);
            Files.move(tmp, metadataFile, StandardCopyOption.REPLACE_EXISTING);
            log.accept("wrote " + metadataFile);
        }
        new ModelStore(dir).list().stream().filter(e -> e.id().equals(model.name()) && !e.available()).findFirst()
                .ifPresent(e -> log.accept("note: " + model.name() + " is in place but cannot be used yet: " + e.error()));
        return metadataFile;
    }

    private void fetchFile(KnownModel model, URI published, Path target, Checksum checksum, long approxBytes)
            throws IOException {
        URI url = urlOf(published, target.getFileName().toString());
        if (Files.isRegularFile(target)) {
            log.accept("checking " + target + " (" + checksum.algorithm() + ")");
        } else {
            log.accept("downloading " + url + (approxBytes > 0 ? " (about " + Downloader.readable(approxBytes) + ")" : "")
                    + " to " + target);
        }
        Downloader.Result result;
        try {
            result = downloader.fetch(url, target, checksum, progress.get());
        } catch (DownloadException e) {
            if (!e.offline()) {
                throw e;
            }
            throw e.append("; to place it by hand, download " + (url.equals(published) ? "that URL" : published)
                    + " where there is network, save it as " + target + " and run 'fetch-model " + model.name()
                    + "' again");
        }
        log.accept(target + ": " + switch (result.outcome()) {
            case ALREADY_PRESENT -> "already here, ";
            case RESUMED -> "download resumed and finished, ";
            case DOWNLOADED -> "downloaded, ";
        } + Downloader.readable(result.bytes()) + ", " + checksum.algorithm() + " verified");
    }

    private static void refuseToReplaceAnotherModel(Path metadataFile, KnownModel model) throws IOException {
        if (!Files.isRegularFile(metadataFile)) {
            return;
        }
        JsonNode existing;
        try {
            existing = JSON.readTree(metadataFile.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            existing = null;
        }
        String file = existing == null || existing.get("file") == null ? null : existing.get("file").asText();
        if (!model.fileName().equals(file)) {
            throw new UserError(metadataFile + " already describes another model" + (file == null ? "" : " (file " + file + ")")
                    + "; move it away or fetch into another directory with --models");
        }
    }

    /** The metadata written beside a fetched model. */
    static ModelMetadata metadata(KnownModel m, List<String> classes) {
        Checksum c = m.checksum();
        ModelMetadata.Source source = new ModelMetadata.Source(m.url().toString(),
                c.algorithm().equals(Checksum.MD5) ? c.expected() : null,
                c.algorithm().equals(Checksum.SHA256) ? c.expected() : null,
                c.algorithm().equals(Checksum.ADLER32) ? c.expected() : null);
        return new ModelMetadata(m.name(), m.description(), m.fileName(), m.inputShape(), m.input(), classes, null,
                new ModelMetadata.Provenance(m.dataset(), null, m.licence(),
                        "pretrained by its publisher; fetched with: java -jar target/filterscope.jar fetch-model " + m.name(),
                        null, null),
                m.architecture(), source);
    }
}
