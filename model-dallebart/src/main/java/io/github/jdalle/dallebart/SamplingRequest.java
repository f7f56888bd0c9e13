package io.github.jdalle.dallebart;

import io.github.jdalle.core.JdalleException;
import io.github.jdalle.core.sampling.SamplingSettings;

import java.util.List;

/**
 * What to generate: tokenized prompts, how many images of each, the seed and the sampling settings.
 * Images are numbered prompt by prompt from {@code firstImage}: image {@code firstImage + p·imagesPerPrompt + j}
 * is picture j of prompt p, and its random stream is derived from (seed, that number) alone. So a large batch
 * can be regenerated one picture at a time by moving {@code firstImage}.
 *
 * @param prompts         one or more tokenized prompts
 * @param imagesPerPrompt pictures per prompt, at least 1
 * @param seed            the seed of every image's random stream
 * @param conditionScale  s in {@code uncond + s·(cond − uncond)}; 1 turns super-conditioning off
 * @param sampling        temperature, top-k, top-p; top-k 1 is greedy
 * @param firstImage      the number of the first image, 0 or more; the results are still indexed from 0
 */
public record SamplingRequest(List<PromptTokens> prompts, int imagesPerPrompt, long seed, float conditionScale,
                              SamplingSettings sampling, long firstImage) {
    /** dalle-mini's condition scale (the notebook's {@code cond_scale = 10.0}). */
    public static final float DEFAULT_CONDITION_SCALE = 10f;

    public SamplingRequest {
        prompts = List.copyOf(prompts);
        if (prompts.isEmpty()) {
            throw new JdalleException("a generation request needs at least one prompt");
        }
        if (imagesPerPrompt < 1) {
            throw new JdalleException("images per prompt must be at least 1, got " + imagesPerPrompt);
        }
        if (!Float.isFinite(conditionScale)) {
            throw new JdalleException("condition scale must be a finite number, got " + conditionScale);
        }
        if (sampling == null) {
            throw new JdalleException("sampling settings are required (SamplingSettings.DEFAULT for dalle-mini's)");
        }
        if (firstImage < 0) {
            throw new JdalleException("the first image number must be 0 or more, got " + firstImage);
        }
    }

    /** A request whose images are numbered from 0. */
    public SamplingRequest(List<PromptTokens> prompts, int imagesPerPrompt, long seed, float conditionScale,
                           SamplingSettings sampling) {
        this(prompts, imagesPerPrompt, seed, conditionScale, sampling, 0);
    }

    /** {@code imagesPerPrompt} images of one prompt with dalle-mini's defaults: scale 10, top-k 50, temperature 1. */
    public static SamplingRequest of(PromptTokens prompt, int imagesPerPrompt, long seed) {
        return new SamplingRequest(List.of(prompt), imagesPerPrompt, seed, DEFAULT_CONDITION_SCALE,
                SamplingSettings.DEFAULT);
    }

    /** This request with another condition scale. */
    public SamplingRequest withConditionScale(float scale) {
        return new SamplingRequest(prompts, imagesPerPrompt, seed, scale, sampling, firstImage);
    }

    /** This request with other sampling settings. */
    public SamplingRequest withSampling(SamplingSettings settings) {
        return new SamplingRequest(prompts, imagesPerPrompt, seed, conditionScale, settings, firstImage);
    }

    /** This request with its images numbered from {@code number}. */
    public SamplingRequest withFirstImage(long number) {
        return new SamplingRequest(prompts, imagesPerPrompt, seed, conditionScale, sampling, number);
    }

    /** Total number of images, prompts × images per prompt. */
    public int imageCount() {
        return Math.multiplyExact(prompts.size(), imagesPerPrompt);
    }
}
