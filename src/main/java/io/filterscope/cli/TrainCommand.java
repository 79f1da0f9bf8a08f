package io.filterscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.filterscope.UserError;
import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.train.BundledDataset;
import io.filterscope.model.ModelMetadata;
import io.filterscope.train.LeNet;
import io.filterscope.train.PriorFit;
import io.filterscope.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train --dataset fashion-mnist|mnist}: reproduces a bundled model with its metadata, example set and
 * learned image prior; {@code --prior-only} refits only the prior (and the training pictures' statistics) of
 * the model already there. {@code --dataset emoji} takes only {@code --prior-only}: emoji-cnn is trained with
 * PyTorch, and its prior is fitted to training pictures its script draws again ({@code --training-pictures}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Reproduces a bundled model, with its metadata, example set and learned image prior.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "fashion-mnist, mnist or emoji (emoji: --prior-only)")
    String datasetName;

    @Option(names = "--out", paramLabel = "F.zip", description = "the model file (default: NAME.zip, emoji-cnn.onnx in the models folder)")
    Path out;

    @Mixin
    ModelsDir models;

    @Option(names = "--data", paramLabel = "DIR", description = "where the data set is (default: where its package puts it)")
    Path data;

    @Option(names = "--epochs", paramLabel = "N", description = "training epochs (default: the data set's)")
    @Bounds(min = 1, max = 1000)
    Integer epochs;

    @Option(names = "--seed", paramLabel = "K", description = "seeds initialization and shuffling (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--prior-only", description = "keep the model; fit only its learned image prior and training-picture statistics")
    boolean priorOnly;

    @Option(names = "--prior-components", paramLabel = "K",
            description = "latent dimensions of the image prior (default: the data set's, 64 for the greyscale models)")
    @Bounds(min = 1, max = 1024)
    Integer priorComponents;

    @Override
    public Integer call() throws IOException {
        BundledDataset dataset = BundledDataset.byName(datasetName);
        if (!dataset.trainsHere() && !priorOnly) {
            throw new UserError(BundledDataset.TRAINED_ELSEWHERE);
        }
        Path out = this.out != null ? this.out : models.dir().resolve(dataset.modelFile());
        Path dataDir = data != null ? data : Path.of(dataset.defaultDataDir);
        Path dir = out.toAbsolutePath().getParent();
        String file = out.getFileName().toString();
        String base = file.replaceFirst("\\.(zip|onnx)$", "");
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (priorOnly) {
            Path metadata = dir.resolve(base + ".json");
            if (!Files.isRegularFile(metadata)) {
                throw new UserError("train: --prior-only needs the model's metadata " + metadata + " (train the model first)");
            }
            LabeledImages train = read(() -> dataset.trainingPictures(dataDir), dataset);
            System.out.printf("%s: %d training pictures%n", dataset.name, train.size());
            json.writeValue(metadata.toFile(), fitPrior(dataset, json.readValue(metadata.toFile(), ModelMetadata.class), train, dir, base));
            return 0;
        }
        int epochs = Cli.within("train", this, "--epochs", this.epochs != null ? this.epochs : dataset.defaultEpochs);
        LabeledImages[] split = read(() -> dataset.load(dataDir), dataset);
        LabeledImages train = split[0];
        LabeledImages heldOut = split[1];
        System.out.printf("%s: %d training images, %d held out%n", dataset.name, train.size(), heldOut.size());

        MultiLayerNetwork net = LeNet.create(28, 1, dataset.classes.size(), seed);
        Random rng = new Random(seed);
        ProgressBar bar = ProgressBar.onStandardError();
        double accuracy = 0;
        for (int epoch = 1; epoch <= epochs; epoch++) {
            Trainer.fitEpoch(net, train, rng, bar, "epoch " + epoch + "/" + epochs);
            accuracy = Trainer.accuracy(net, heldOut);
            System.out.printf("epoch %d: held-out accuracy %.4f%n", epoch, accuracy);
        }

        Files.createDirectories(dir);
        ModelSerializer.writeModel(net, out.toFile(), false);
        IdxFiles.write(heldOut.first(Math.min(BundledDataset.EXAMPLES, heldOut.size())),
                dir.resolve(base + ".examples-images.idx.gz"), dir.resolve(base + ".examples-labels.idx.gz"));
        json.writeValue(dir.resolve(base + ".json").toFile(),
                fitPrior(dataset, dataset.metadata(file, accuracy, heldOut.size(), epochs), train, dir, base));
        System.out.printf("wrote %s (held-out accuracy %.4f)%n", out, accuracy);
        return 0;
    }

    private interface DataReader<T> {
        T read() throws IOException;
    }

    /** The data, or a one-line error naming the missing file and how to get it. */
    private <T> T read(DataReader<T> reader, BundledDataset dataset) throws IOException {
        try {
            return reader.read();
        } catch (NoSuchFileException e) {
            throw new UserError("train: data file not found: " + e.getFile() + (dataset == BundledDataset.EMOJI
                    ? " (draw emoji-cnn's training pictures again with: " + BundledDataset.EMOJI_PICTURES_COMMAND + ")"
                    : " (see --data)"));
        }
    }

    /** Fits the learned image prior to the training pictures, writes it beside the model, and names it in the metadata. */
    private ModelMetadata fitPrior(BundledDataset dataset, ModelMetadata meta, LabeledImages train, Path dir, String base)
            throws IOException {
        int k = Cli.within("train", this, "--prior-components", priorComponents != null ? priorComponents : dataset.priorComponents);
        PriorFit.Result prior = PriorFit.fit(train, k);
        String name = base + ".prior.idx.gz";
        IdxFiles.writeFloats(dir.resolve(name), prior.dims(), prior.values(), PriorFit.STORED_BITS);
        System.out.printf("wrote %s: %d components holding %.1f%% of the training pictures' logit variance%n",
                dir.resolve(name), prior.dims()[0] - 1, 100 * prior.explained());
        boolean emoji = dataset == BundledDataset.EMOJI;
        return meta.withPrior(new ModelMetadata.Prior(name, "principal components of the logits of the " + (emoji ? "first " : "")
                + train.size() + " training pictures (" + (prior.dims()[0] - 1) + " components, "
                + Math.round(1000 * prior.explained()) / 10.0 + "% of their variance)",
                (emoji ? BundledDataset.EMOJI_PICTURES_COMMAND + " && " : "") + "java -jar target/filterscope.jar train --dataset "
                        + datasetName + " --prior-only" + (k == dataset.priorComponents ? "" : " --prior-components " + k)),
                prior.statistics());
    }
}
