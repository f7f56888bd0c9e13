package io.github.jdalle.hub;

import io.github.jdalle.core.JdalleException;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The checkpoints jdalle can download from the Hugging Face hub, pinned to the revisions the original
 * inference notebook uses. Each is fetched as a folder (checkpoint, config, tokenizer files) and then
 * converted to one {@code .jdw} file.
 */
public enum HubModel {
    /** DALL·E Mini's DalleBart, 0.4 B parameters. */
    MINI("dalle-mini/dalle-mini", "main",
            List.of("flax_model.msgpack", "config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
                    HubModel.WORD_FREQUENCIES)),
    /**
     * DALL·E Mega's DalleBart, 2.6 B parameters; dalle-mini's text normalizer reads the hashtag word list from
     * the mini repository for both models.
     */
    MEGA("dalle-mini/dalle-mega", "main",
            List.of("flax_model.msgpack", "config.json", "vocab.json", "merges.txt", "special_tokens_map.json"),
            new HubFile("dalle-mini/dalle-mini", "main", HubModel.WORD_FREQUENCIES)),
    /** The VQGAN (ImageNet, f16, 16384 codes) that turns 16 × 16 tokens into 256 × 256 pictures. */
    VQGAN("dalle-mini/vqgan_imagenet_f16_16384", "e93a26e7707683d349bf5d5c41c5b0ef69b677a9",
            List.of("flax_model.msgpack", "config.json")),
    /** OpenAI's CLIP ViT-B/32, which dalle-mini uses to rank the pictures. */
    CLIP("openai/clip-vit-base-patch32", "main",
            List.of("flax_model.msgpack", "config.json", "vocab.json", "merges.txt"));

    /** The word list of the hashtag splitter in dalle-mini's text normalizer. */
    public static final String WORD_FREQUENCIES = "enwiki-words-frequency.txt";

    /** One file of a hub repository at a revision. */
    public record HubFile(String repository, String revision, String name) {
    }

    private final String repository;
    private final List<HubFile> files;

    HubModel(String repository, String revision, List<String> names, HubFile... borrowed) {
        this.repository = repository;
        this.files = Stream.concat(names.stream().map(name -> new HubFile(repository, revision, name)),
                Arrays.stream(borrowed)).toList();
    }

    /** The hub repository of the checkpoint, e.g. {@code dalle-mini/dalle-mini}. */
    public String repository() {
        return repository;
    }

    /** The files fetched into the model's folder. */
    public List<HubFile> files() {
        return files;
    }

    /** Lower-case name used on the command line and for cache file names. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The model called {@code id} ("mini", "mega", "vqgan", "clip"), if it is one. */
    public static Optional<HubModel> find(String id) {
        return Arrays.stream(values()).filter(m -> m.id().equals(id)).findFirst();
    }

    /** The model called {@code id}; an unknown id is an error listing the known ones. */
    public static HubModel byId(String id) {
        return find(id).orElseThrow(() -> new JdalleException("unknown model '" + id
                + "'; expected one of mini, mega, vqgan, clip"));
    }
}
