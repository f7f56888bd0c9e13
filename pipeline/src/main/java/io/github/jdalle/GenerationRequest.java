package io.github.jdalle;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.sampling.SamplingSettings;

import java.util.List;
import java.util.Objects;

/**
 * What {@link DalleMini#generate} makes: prompts, pictures per prompt, the seed and the sampling settings.
 * Immutable; start from {@link #of} and change one setting at a time with the {@code with…} methods.
 *
 * <p><b>Picture numbers and seeds.</b> Pictures are numbered prompt by prompt from {@code firstImage}: picture
 * j of prompt p is number {@code firstImage + p·imagesPerPrompt + j}, and its randomness comes from
 * (seed, number) alone — not from the batch it was made in. So one picture of a batch is regenerated alone
 * with the same prompt, seed and settings, one image and {@code firstImage} set to its number: picture k of
 * {@code of(prompt).withImages(3)} equals the only picture of {@code of(prompt).withImages(1).withFirstImage(k)}.
 * (One exception: a lone {@code <person>} tag in prompt p draws its words from the stream (seed, −1 − p), so
 * such a prompt keeps its words only at the same position in the prompt list.)
 *
 * @param prompts         one or more prompts (any text; normalized and tokenized as the model's config says)
 * @param imagesPerPrompt pictures per prompt, at least 1
 * @param seed            the seed of every picture's random stream
 * @param firstImage      the number of the first picture, 0 or more
 * @param conditionScale  super-conditioning s in {@code uncond + s·(cond − uncond)}; 1 turns it off
 * @param sampling        temperature, top-k, top-p; top-k 1 is greedy
 * @param previewEvery    decode a preview of every picture after each this many decoder steps; 0 for none
 */
public record GenerationRequest(List<String> prompts, int imagesPerPrompt, long seed, long firstImage,
                                float conditionScale, SamplingSettings sampling, int previewEvery) {
    /** Pictures per prompt unless told otherwise. */
    public static final int DEFAULT_IMAGES_PER_PROMPT = 4;
    /** dalle-mini's condition scale (the notebook's {@code cond_scale = 10.0}). */
    public static final float DEFAULT_CONDITION_SCALE = 10f;

    public GenerationRequest {
        prompts = List.copyOf(prompts);
        if (prompts.isEmpty()) {
            throw new JdalleException("a generation request needs at least one prompt");
        }
        if (imagesPerPrompt < 1) {
            throw new JdalleException("images per prompt must be at least 1, got " + imagesPerPrompt);
        }
        if (firstImage < 0 || firstImage > Long.MAX_VALUE - (long) prompts.size() * imagesPerPrompt) {
            throw new JdalleException("the first image number must be 0 or more, got " + firstImage);
        }
        if (!Float.isFinite(conditionScale)) {
            throw new JdalleException("condition scale must be a finite number, got " + conditionScale);
        }
        Objects.requireNonNull(sampling, "sampling");
        if (previewEvery < 0) {
            throw new JdalleException("preview interval must be 0 (off) or a number of steps, got " + previewEvery);
        }
    }

    /**
     * {@value #DEFAULT_IMAGES_PER_PROMPT} pictures of each prompt with seed 0 and dalle-mini's settings:
     * condition scale 10, top-k 50, top-p off, temperature 1; no previews.
     */
    public static GenerationRequest of(String... prompts) {
        return new GenerationRequest(List.of(prompts), DEFAULT_IMAGES_PER_PROMPT, 0, 0, DEFAULT_CONDITION_SCALE,
                SamplingSettings.DEFAULT, 0);
    }

    /** This request with {@code count} pictures per prompt. */
    public GenerationRequest withImages(int count) {
        return new GenerationRequest(prompts, count, seed, firstImage, conditionScale, sampling, previewEvery);
    }

    /** This request with another seed. */
    public GenerationRequest withSeed(long newSeed) {
        return new GenerationRequest(prompts, imagesPerPrompt, newSeed, firstImage, conditionScale, sampling, previewEvery);
    }

    /** This request with its pictures numbered from {@code number}. */
    public GenerationRequest withFirstImage(long number) {
        return new GenerationRequest(prompts, imagesPerPrompt, seed, number, conditionScale, sampling, previewEvery);
    }

    /** This request with another condition scale. */
    public GenerationRequest withConditionScale(float scale) {
        return new GenerationRequest(prompts, imagesPerPrompt, seed, firstImage, scale, sampling, previewEvery);
    }

    /** This request with other sampling settings. */
    public GenerationRequest withSampling(SamplingSettings settings) {
        return new GenerationRequest(prompts, imagesPerPrompt, seed, firstImage, conditionScale, settings, previewEvery);
    }

    /** This request keeping only the {@code k} most likely tokens at each step (0 keeps all, 1 is greedy). */
    public GenerationRequest withTopK(int k) {
        return withSampling(new SamplingSettings(sampling.temperature(), k, sampling.topP()));
    }

    /** This request with nucleus sampling at mass {@code p} (1 turns it off). */
    public GenerationRequest withTopP(float p) {
        return withSampling(new SamplingSettings(sampling.temperature(), sampling.topK(), p));
    }

    /** This request with the logits divided by {@code temperature} before sampling. */
    public GenerationRequest withTemperature(float temperature) {
        return withSampling(new SamplingSettings(temperature, sampling.topK(), sampling.topP()));
    }

    /** This request decoding previews every {@code steps} decoder steps (0 for none). */
    public GenerationRequest withPreviewEvery(int steps) {
        return new GenerationRequest(prompts, imagesPerPrompt, seed, firstImage, conditionScale, sampling, steps);
    }

    /** Total number of pictures, prompts × pictures per prompt. */
    public int imageCount() {
        return Math.multiplyExact(prompts.size(), imagesPerPrompt);
    }

    /** The number of picture {@code picture} of prompt {@code prompt}, which names its random stream. */
    public long imageNumber(int prompt, int picture) {
        return firstImage + (long) prompt * imagesPerPrompt + picture;
    }
}
