package io.filterscope.model.fetch;

import io.filterscope.UserError;
import io.filterscope.engine.param.InputSpace;
import io.filterscope.model.fetch.KnownModel.Format;
import io.filterscope.model.fetch.KnownModel.Labels;
import java.net.URI;
import java.util.List;

/**
 * The pretrained ImageNet models {@code fetch-model} knows, with their published URLs and hashes. None of
 * them could be downloaded while this list was written, so each URL and hash is copied from the source
 * named beside it; a wrong one shows as a checksum mismatch, never as a wrong file in place.
 */
public final class KnownModels {
    private KnownModels() {
    }

    /** What {@code fetch-model} suggests first: VGG16's convolutional layers, 58.9 MB. */
    public static final String DEFAULT = "vgg16";

    private static final String KERAS = "https://storage.googleapis.com/tensorflow/keras-applications/";
    private static final String DL4J = "https://dl4jdata.blob.core.windows.net/";
    /**
     * The ONNX model zoo's files as its hub client (python onnx.hub, _get_base_url with lfs=True) fetches them:
     * the Git LFS media of github.com/onnx/models at main, under each model's "model_path".
     */
    private static final String ONNX_ZOO = "https://media.githubusercontent.com/media/onnx/models/main/validated/vision/classification/";
    private static final String ZOO_APACHE = "Apache 2.0 (ONNX model zoo, https://github.com/onnx/models; weights from the MXNet Gluon model zoo)";

    /**
     * ImageNet's 1000 class names as Keras publishes them ({"0": ["n01440764", "tench"], ...}). URL and MD5:
     * CLASS_INDEX_PATH and the file_hash in decode_predictions, keras/src/applications/imagenet_utils.py; DL4J's
     * org.deeplearning4j.zoo.util.imagenet.ImageNetLabels (deeplearning4j-zoo 1.0.0-M2.1) checks the same MD5
     * and fetches the file from the network too: no copy ships in its jar.
     */
    public static final Labels IMAGENET_LABELS = new Labels("imagenet_class_index.json",
            URI.create("https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"),
            Checksum.hex("c2c37ea517e94d9795004a39431a14cb"), 1000);

    private static final List<Integer> IMAGENET_224 = List.of(3, 224, 224);
    private static final String IMAGENET = "ImageNet ILSVRC-2012 (1.28 million training images, 1000 classes)";
    private static final String VGG_LICENCE = "CC BY 4.0 (weights by K. Simonyan and A. Zisserman, Oxford VGG,"
            + " http://www.robots.ox.ac.uk/~vgg/research/very_deep/)";

    /**
     * Every one takes Keras' "caffe" input (imagenet_utils.preprocess_input, which vgg16.py, vgg19.py and
     * resnet.py call with mode="caffe"; DL4J's VGGs are converted Keras weights): pixels 0-255, channels in BGR
     * order, each minus its ImageNet mean (103.939, 116.779, 123.68 for blue, green, red), no scaling.
     */
    public static final List<KnownModel> ALL = List.of(
            // keras/src/applications/vgg16.py: WEIGHTS_PATH_NO_TOP and file_hash (include_top=False).
            // 14,714,688 float32 parameters. Weights licence: fchollet/deep-learning-models README.
            new KnownModel("vgg16", "VGG16 convolutional layers (block1_conv1 .. block5_pool) with ImageNet weights,"
                    + " from Keras applications", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    URI.create(KERAS + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"),
                    Checksum.hex("6d6bbae143d832006294945121d1f1fc"), 58_900_000L, Format.KERAS_H5, "vgg16-notop",
                    IMAGENET_224, InputSpace.CAFFE_BGR, null, IMAGENET, VGG_LICENCE),
            // keras/src/applications/vgg19.py: WEIGHTS_PATH_NO_TOP and file_hash (include_top=False).
            // 20,024,384 float32 parameters.
            new KnownModel("vgg19", "VGG19 convolutional layers (block1_conv1 .. block5_pool) with ImageNet weights,"
                    + " from Keras applications", "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    URI.create(KERAS + "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
                    Checksum.hex("253f8cb515780f3b799900260a226db6"), 80_100_000L, Format.KERAS_H5, "vgg19-notop",
                    IMAGENET_224, InputSpace.CAFFE_BGR, null, IMAGENET, VGG_LICENCE),
            // deeplearning4j-zoo 1.0.0-M2.1, org.deeplearning4j.zoo.model.ResNet50: pretrainedUrl(IMAGENET) =
            // DL4JResources base URL + "models/resnet50_dl4j_inference.v3.zip", pretrainedChecksum(IMAGENET) =
            // 3914447815L (Adler-32). A ComputationGraph with residual additions and batch norm, 1000-class
            // classifier; its weights were converted from Keras' ResNet50, whose input is caffe-style.
            // (Keras' own ResNet50 notop file is not offered: its layer names match no DL4J graph we build.)
            // 25,636,712 float32 parameters.
            new KnownModel("resnet50", "ResNet50 with its ImageNet classifier (1000 classes), from DL4J's model zoo",
                    "resnet50_dl4j_inference.v3.zip", URI.create(DL4J + "models/resnet50_dl4j_inference.v3.zip"),
                    Checksum.adler32(3914447815L), 102_600_000L, Format.DL4J_ZIP, null,
                    IMAGENET_224, InputSpace.CAFFE_BGR, IMAGENET_LABELS, IMAGENET,
                    "MIT (weights by Kaiming He, https://github.com/KaimingHe/deep-residual-networks)"),
            // deeplearning4j-zoo 1.0.0-M2.1, org.deeplearning4j.zoo.model.VGG16: pretrainedUrl(IMAGENET) =
            // DL4JResources base URL + "models/vgg16_dl4j_inference.zip", pretrainedChecksum(IMAGENET) = 3501732770L
            // (Adler-32, checked by ZooModel.initPretrained). Its weights "have been converted from
            // https://github.com/fchollet/keras/tree/1.1.2/keras/applications" (DL4J zoo docs), i.e. Keras'
            // caffe-style VGG16. 138,357,544 float32 parameters, with the 1000-class classifier.
            new KnownModel("vgg16-dl4j", "VGG16 with its ImageNet classifier (1000 classes), from DL4J's model zoo",
                    "vgg16_dl4j_inference.zip", URI.create(DL4J + "models/vgg16_dl4j_inference.zip"),
                    Checksum.adler32(3501732770L), 553_400_000L, Format.DL4J_ZIP, null,
                    IMAGENET_224, InputSpace.CAFFE_BGR, IMAGENET_LABELS, IMAGENET, VGG_LICENCE),
            // deeplearning4j-zoo 1.0.0-M2.1, org.deeplearning4j.zoo.model.VGG19: "models/vgg19_dl4j_inference.zip",
            // Adler-32 2782932419L; converted from Keras 1.1.2 like VGG16. 143,667,240 float32 parameters.
            new KnownModel("vgg19-dl4j", "VGG19 with its ImageNet classifier (1000 classes), from DL4J's model zoo",
                    "vgg19_dl4j_inference.zip", URI.create(DL4J + "models/vgg19_dl4j_inference.zip"),
                    Checksum.adler32(2782932419L), 574_700_000L, Format.DL4J_ZIP, null,
                    IMAGENET_224, InputSpace.CAFFE_BGR, IMAGENET_LABELS, IMAGENET, VGG_LICENCE),
            // The ONNX model zoo: file, size and SHA-256 from its hub manifest, ONNX_HUB_MANIFEST.json of
            // github.com/onnx/models at main ("model_path", "model_sha", "model_bytes"); input as each model's
            // README says. Their 1000 outputs are ImageNet's classes in the usual sorted-WordNet-id order (the
            // zoo's synset.txt), which is the order of Keras' class index too.
            //
            // GoogLeNet (Inception v1): BVLC's Caffe weights (Caffe BVLC GoogLeNet -> Caffe2 -> ONNX), the network of
            // DeepDream and of Distill's "Feature Visualization". Opset 12. Input
            // (googlenet/README.md): pixels 0-255, ImageNet mean subtracted, channels reordered to BGR. Licence:
            // the zoo's googlenet/LICENSE, BSD-3-Clause; BVLC released the weights for unrestricted use.
            new KnownModel("googlenet", "GoogLeNet (Inception v1) with BVLC's ImageNet weights and classifier (1000 classes),"
                    + " from the ONNX model zoo", "googlenet-12.onnx",
                    URI.create(ONNX_ZOO + "inception_and_googlenet/googlenet/model/googlenet-12.onnx"),
                    Checksum.hex("c99c507058eaf41de8723408fdda7db8325cb57f0a89f2ee07a716d6e963e14e"), 28_021_836L, Format.ONNX,
                    null, IMAGENET_224, InputSpace.CAFFE_BGR, IMAGENET_LABELS, IMAGENET,
                    "BSD-3-Clause (ONNX model zoo, googlenet/LICENSE; weights by the Berkeley Vision and Learning Center,"
                            + " released for unrestricted use)"),
            // ResNet50 v1 (MXNet Gluon -> ONNX, opset 12, "ResNet50-fp32"); README: RGB, [0, 1], ImageNet mean and std.
            new KnownModel("resnet50-v1", "ResNet50 v1 with ImageNet weights and classifier (1000 classes), from the ONNX model zoo",
                    "resnet50-v1-12.onnx", URI.create(ONNX_ZOO + "resnet/model/resnet50-v1-12.onnx"),
                    Checksum.hex("3f03fdef724b22947eed826f1eef1dc5c34151bb4c37d634f1db89dfa2dd1526"), 102_576_593L, Format.ONNX,
                    null, IMAGENET_224, InputSpace.TORCHVISION, IMAGENET_LABELS, IMAGENET, ZOO_APACHE),
            // MobileNetV2 1.0 (MXNet Gluon -> ONNX, opset 12, "MobileNet v2-1.0-fp32"); README: RGB, [0, 1], mean and std.
            new KnownModel("mobilenetv2", "MobileNetV2 (width 1.0) with ImageNet weights and classifier (1000 classes),"
                    + " from the ONNX model zoo", "mobilenetv2-12.onnx", URI.create(ONNX_ZOO + "mobilenet/model/mobilenetv2-12.onnx"),
                    Checksum.hex("c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5"), 13_964_571L, Format.ONNX,
                    null, IMAGENET_224, InputSpace.TORCHVISION, IMAGENET_LABELS, IMAGENET, ZOO_APACHE),
            // SqueezeNet 1.1 (MXNet Gluon -> ONNX, opset 7); README: RGB, [0, 1], ImageNet mean and std.
            new KnownModel("squeezenet", "SqueezeNet 1.1 with ImageNet weights and classifier (1000 classes), from the ONNX model zoo",
                    "squeezenet1.1-7.onnx", URI.create(ONNX_ZOO + "squeezenet/model/squeezenet1.1-7.onnx"),
                    Checksum.hex("1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088"), 4_956_208L, Format.ONNX,
                    null, IMAGENET_224, InputSpace.TORCHVISION, IMAGENET_LABELS, IMAGENET, ZOO_APACHE));

    public static KnownModel byName(String name) {
        return byName(ALL, name);
    }

    /** The model of that name in {@code catalogue}; an unknown name is a not-found error listing the known ones. */
    public static KnownModel byName(List<KnownModel> catalogue, String name) {
        return catalogue.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> UserError.notFound("fetch-model: unknown model '" + name + "' (known: "
                        + String.join(", ", catalogue.stream().map(KnownModel::name).toList()) + ")"));
    }
}
