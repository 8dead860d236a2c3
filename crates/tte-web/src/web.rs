use burn::tensor::{Device, Tensor, TensorData};
use js_sys::{Float64Array, Uint8Array};
use serde::Serialize;
use tte_frames::{Frame, PixelFormat, UltrasoundRegion};
use tte_media::{Limits, Source};
use tte_preprocess::ClipSpec;
use tte_slowfast::TrainedModel;
use wasm_bindgen::prelude::*;

fn err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// Rust values to plain JS objects directly (serde-wasm-bindgen), not through JSON text; maps
/// become objects and 64-bit integers numbers, as JSON would give them.
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(err)
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The view catalogue (code, full name, landmarks) for the page's legend.
#[wasm_bindgen(js_name = viewCatalogue)]
pub fn view_catalogue() -> Result<JsValue, JsError> {
    to_js(&tte_views::VIEWS.to_vec())
}

/// A loaded model on a device.
#[wasm_bindgen]
pub struct Classifier {
    model: TrainedModel,
    device: Device,
    backend: String,
    spec: ClipSpec,
}

#[wasm_bindgen]
impl Classifier {
    /// Loads a `.ttev` model. `backend` is "webgpu" or "cpu"; check `navigator.gpu` in JS first
    /// (wgpu's initialisation cannot be recovered from where WebGPU is absent).
    pub async fn create(model_bytes: Vec<u8>, backend: String) -> Result<Classifier, JsError> {
        let device = match backend.as_str() {
            #[cfg(feature = "webgpu")]
            "webgpu" => Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| JsError::new(&format!("WebGPU unavailable: {e:?}")))?,
            #[cfg(not(feature = "webgpu"))]
            "webgpu" => return Err(JsError::new(
                "this build of the classifier is the CPU-only one (pkg-cpu); load pkg for WebGPU",
            )),
            "cpu" => Device::flex(),
            other => return Err(JsError::new(&format!("unknown backend {other}"))),
        };
        let model = TrainedModel::from_bytes(&model_bytes, &device).map_err(err)?;
        let spec = model.meta.clip_spec();
        Ok(Classifier {
            model,
            device,
            backend,
            spec,
        })
    }

    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// Class codes in output order.
    pub fn labels(&self) -> Vec<String> {
        self.model.meta.labels.clone()
    }

    /// Model metadata (preset, config, notes) as an object.
    pub fn meta(&self) -> Result<JsValue, JsError> {
        to_js(&self.model.meta)
    }

    /// Runs the network once on a blank clip and waits for its answer, so the page pays the
    /// first run's costs (WebGPU compiles its kernels, the CPU backend sizes its buffers) while
    /// the user is still choosing a file. Returns how long it took, ms.
    #[wasm_bindgen(js_name = warmUp)]
    pub async fn warm_up(&self) -> Result<f64, JsError> {
        let t0 = now();
        let (c, t, s) = (self.spec.channels, self.spec.frames, self.spec.size);
        self.probabilities(Tensor::<5>::zeros([1, c, t, s, s], &self.device))
            .await?;
        Ok(now() - t0)
    }

    /// The network's probabilities for one prepared clip `[1, c, t, h, w]`, read back from the
    /// device (before calibration).
    async fn probabilities(&self, x: Tensor<5>) -> Result<Vec<f32>, JsError> {
        self.model
            .net
            .probabilities_adapted(x, self.model.meta.bn_adapt as f64)
            .into_data_async()
            .await
            .map_err(|e| JsError::new(&format!("{e:?}")))?
            .try_to_vec::<f32>()
            .map_err(|e| JsError::new(&format!("{e:?}")))
    }

    /// Which frame indices to decode for a clip with these display times.
    pub fn plan(&self, times: Float64Array) -> Vec<u32> {
        tte_preprocess::plan(&times.to_vec(), &self.spec)
            .into_iter()
            .map(|i| i as u32)
            .collect()
    }

    /// Classifies already-sampled RGBA frames (concatenated, `width * height * 4` bytes each).
    /// `regions` is the JSON the clip's `regions()` returned, or null. `pixel_aspect` is a
    /// pixel's width over its height as the decoder reported it (1 for square pixels): the
    /// frames are made square exactly as the native reader makes them.
    pub async fn classify(
        &self,
        rgba: Uint8Array,
        width: usize,
        height: usize,
        regions: JsValue,
        pixel_aspect: f64,
    ) -> Result<JsValue, JsError> {
        let t0 = now();
        let data = rgba.to_vec();
        let per = width * height * 4;
        if per == 0 || data.len() % per != 0 || data.is_empty() {
            return Err(JsError::new(&format!(
                "{} bytes are not whole {width}x{height} RGBA frames",
                data.len()
            )));
        }
        let frames: Vec<Frame> = data
            .chunks_exact(per)
            .enumerate()
            .map(|(i, c)| {
                Frame::new(width, height, PixelFormat::Rgba, c.to_vec(), i as f64)
                    .expect("sized above")
                    .to_square_pixels(pixel_aspect)
            })
            .collect();
        let regions: Vec<UltrasoundRegion> = if regions.is_null() || regions.is_undefined() {
            vec![]
        } else {
            serde_wasm_bindgen::from_value(regions).map_err(err)?
        };
        let times: Vec<f64> = (0..frames.len()).map(|i| i as f64).collect();
        let mut spec = self.spec.clone();
        spec.window_s = 0.0;
        let prepared =
            tte_preprocess::prepare_frames(&frames, &times, &regions, &spec, 0.0).map_err(err)?;
        let t1 = now();
        let warnings: Vec<String> = tte_preprocess::dark_picture_warning(&prepared)
            .into_iter()
            .collect();
        let [c, t, h, w] = prepared.shape();
        let x = Tensor::<5>::from_data(
            TensorData::new(prepared.data, [1, c, t, h, w]),
            &self.device,
        );
        let probs = self.model.meta.calibrated(&self.probabilities(x).await?);
        let t2 = now();
        let (best, conf) =
            probs
                .iter()
                .enumerate()
                .fold((0, f32::MIN), |a, (i, &p)| if p > a.1 { (i, p) } else { a });
        #[derive(Serialize)]
        struct Out<'a> {
            view: &'a str,
            name: String,
            confidence: f32,
            unsure: bool,
            probabilities: Vec<(&'a str, f32)>,
            preprocess_ms: f64,
            inference_ms: f64,
            backend: &'a str,
            sector: [usize; 4],
            echo_share: f32,
            warnings: Vec<String>,
        }
        let labels = &self.model.meta.labels;
        let s = prepared.sector;
        to_js(&Out {
            view: &labels[best],
            name: tte_views::full_name(&labels[best]),
            confidence: conf,
            unsure: self.model.meta.is_unsure(conf),
            probabilities: labels
                .iter()
                .map(String::as_str)
                .zip(probs.iter().copied())
                .collect(),
            preprocess_ms: t1 - t0,
            inference_ms: t2 - t1,
            backend: &self.backend,
            sector: [s.x0, s.y0, s.x1, s.y1],
            echo_share: prepared.echo_share,
            warnings,
        })
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// A WebCodecs `I420` copy (`layout`: the Y, U and V planes' offset and stride, as `copyTo`
/// reports them) to RGBA, cut to `rect` = [x, y, width, height]: the same conversion the native
/// reader applies to libavcodec's pictures ([`tte_frames::yuv`]), so page and CLI see the same
/// pixels.
#[wasm_bindgen(js_name = i420ToRgba)]
pub fn i420_to_rgba(
    data: &[u8],
    layout: Vec<u32>,
    rect: Vec<u32>,
    bt709: bool,
    full_range: bool,
) -> Result<Vec<u8>, JsError> {
    let [yo, ys, uo, us, vo, _vs] = layout[..] else {
        return Err(JsError::new(
            "I420 layout needs offset and stride of three planes",
        ));
    };
    let [x, y, w, h] = rect[..] else {
        return Err(JsError::new("rect needs x, y, width, height"));
    };
    let plane = |o: u32| data.get(o as usize..).unwrap_or(&[]);
    let planes = tte_frames::yuv::Planes {
        y: plane(yo),
        u: plane(uo),
        v: plane(vo),
        y_stride: ys as usize,
        uv_stride: us as usize,
    };
    let space = tte_frames::yuv::YuvSpace { bt709, full_range };
    let f = tte_frames::yuv::yuv420_to_rgb(
        &planes,
        (x as usize, y as usize, w as usize, h as usize),
        space,
        0.0,
    )
    .ok_or_else(|| JsError::new("the I420 planes are smaller than the picture"))?;
    Ok(f.data
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect())
}

/// A clip opened from its bytes: summary, frame times, regions; frames on demand.
#[wasm_bindgen]
pub struct Clip {
    source: Source,
    track: Option<tte_media::EncodedTrack>,
}

#[wasm_bindgen]
impl Clip {
    /// Sniffs and parses a clip. Throws a readable error for anything that is not one.
    pub fn open(bytes: Vec<u8>) -> Result<Clip, JsError> {
        Ok(Clip {
            source: Source::open(bytes, &Limits::default()).map_err(err)?,
            track: None,
        })
    }

    /// `{format, codec, frames, width, height, duration_s, ...}`.
    pub fn probe(&self) -> Result<JsValue, JsError> {
        to_js(self.source.probe())
    }

    pub fn times(&self) -> Vec<f64> {
        self.source.times().to_vec()
    }

    pub fn regions(&self) -> Result<JsValue, JsError> {
        to_js(&self.source.regions().to_vec())
    }

    pub fn warnings(&self) -> Vec<String> {
        self.source.warnings().to_vec()
    }

    /// Decodes frames here (DICOM, AVI, GIF) as concatenated RGBA.
    #[wasm_bindgen(js_name = framesRgba)]
    pub fn frames_rgba(&mut self, indices: Vec<u32>) -> Result<Vec<u8>, JsError> {
        let idx: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        let frames = self.source.frames(&idx, &Limits::default()).map_err(err)?;
        let mut out = Vec::new();
        for f in &frames {
            for y in 0..f.height {
                for x in 0..f.width {
                    let [r, g, b] = f.rgb(x, y);
                    out.extend_from_slice(&[r, g, b, 255]);
                }
            }
        }
        Ok(out)
    }

    /// For AVI: the JPEG bytes of frame `i` (for the browser's ImageDecoder).
    #[wasm_bindgen(js_name = jpegFrame)]
    pub fn jpeg_frame(&self, i: u32) -> Option<Vec<u8>> {
        self.source.jpeg_frame(i as usize).map(<[u8]>::to_vec)
    }

    /// For MP4/QuickTime/WebM/AVI video WebCodecs may decode: `{codec, width, height, times,
    /// keys, display}`, the chunks in decode order as typed arrays (presentation time in seconds,
    /// 1 for a key chunk) and `display[i]`, the chunk of frame `i` in presentation order (B-frames
    /// come out of decode order; an edit list may hide chunks). The bytes come from
    /// `trackDescription()` and `chunkData(i)`. Null when the browser cannot be handed the track.
    /// Typed arrays, not an object per chunk: each object would cost calls across the boundary.
    #[wasm_bindgen(js_name = trackInfo)]
    pub fn track_info(&mut self) -> Result<JsValue, JsError> {
        let Some(t) = self.track() else {
            return Ok(JsValue::NULL);
        };
        let times: Vec<f64> = t.chunks.iter().map(|c| c.time_s).collect();
        let keys: Vec<u8> = t.chunks.iter().map(|c| u8::from(c.key)).collect();
        let display: Vec<u32> = t.display.iter().map(|&d| d as u32).collect();
        let info = js_sys::Object::new();
        let set = |k: &str, v: JsValue| js_sys::Reflect::set(&info, &k.into(), &v).map(|_| ());
        set("codec", t.codec.clone().into())
            .and_then(|_| set("width", (t.width as f64).into()))
            .and_then(|_| set("height", (t.height as f64).into()))
            .and_then(|_| set("times", js_sys::Float64Array::from(&times[..]).into()))
            .and_then(|_| set("keys", js_sys::Uint8Array::from(&keys[..]).into()))
            .and_then(|_| set("display", js_sys::Uint32Array::from(&display[..]).into()))
            .map_err(|_| JsError::new("internal: track info"))?;
        Ok(info.into())
    }

    /// `[first, last]`: the chunks (decode order) to decode, then flush, for the frames at
    /// `indices` (presentation order): from the sync sample they depend on to the last of them.
    #[wasm_bindgen(js_name = decodeSpan)]
    pub fn decode_span(&self, indices: Vec<u32>) -> Vec<u32> {
        let idx: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        self.source
            .decode_span(&idx)
            .map(|(a, b)| vec![a as u32, b as u32])
            .unwrap_or_default()
    }

    /// The video codec's name for messages ("HEVC (H.265)", "MPEG-4 Part 2", ...), if a video.
    #[wasm_bindgen(js_name = codecLabel)]
    pub fn codec_label(&self) -> Option<String> {
        self.source.codec_label().map(str::to_string)
    }

    #[wasm_bindgen(js_name = trackDescription)]
    pub fn track_description(&mut self) -> Vec<u8> {
        self.track()
            .map(|t| t.description.clone())
            .unwrap_or_default()
    }

    #[wasm_bindgen(js_name = chunkData)]
    pub fn chunk_data(&mut self, i: u32) -> Vec<u8> {
        self.track()
            .and_then(|t| t.chunks.get(i as usize))
            .map(|c| c.data.clone())
            .unwrap_or_default()
    }

    fn track(&mut self) -> Option<&tte_media::EncodedTrack> {
        if self.track.is_none() {
            self.track = self.source.encoded_track();
        }
        self.track.as_ref()
    }
}
