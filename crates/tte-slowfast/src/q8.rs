//! Weights stored as 8-bit integers (`stored_as: "q8"`), a quarter of f32 and half of f16: the
//! web app's download. Convolution and linear weights are quantised symmetrically with one scale
//! per output channel (their first axis); everything small (batch-norm scale, shift and running
//! statistics, biases) stays f32, since it is a few kilobytes and sets every channel's level.
//!
//! Layout after the header, one record per float tensor in the module's own visiting order
//! (declaration order, the same for [`ModuleVisitor`] and [`ModuleMapper`]): u8 kind, u32 LE
//! element count, then for kind 0 the f32 LE values, for kind 1 a u32 LE channel count, the f32
//! LE scales, and the i8 values. Shapes come from the config, so a record is checked against the
//! network the header describes, never trusted.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::model::SlowFast;

/// Tensors with fewer elements than this stay f32.
const QUANTISE_FROM: usize = 1024;
const KIND_F32: u8 = 0;
const KIND_Q8: u8 = 1;

/// The network's weights in the q8 layout.
pub fn encode(net: &SlowFast) -> Vec<u8> {
    let mut w = Writer(Vec::new());
    net.visit(&mut w);
    w.0
}

/// Loads q8 `bytes` into `net` (built from the header's config), tensor by tensor in order.
pub fn decode(net: SlowFast, bytes: &[u8], device: &Device) -> Result<SlowFast, String> {
    let mut r = Reader {
        bytes,
        at: 0,
        device: device.clone(),
        error: None,
    };
    let net = net.map(&mut r);
    if let Some(e) = r.error {
        return Err(e);
    }
    if r.at != bytes.len() {
        return Err(format!(
            "{} bytes after the last weight tensor",
            bytes.len() - r.at
        ));
    }
    Ok(net)
}

struct Writer(Vec<u8>);

impl ModuleVisitor for Writer {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let shape = t.dims();
        let values: Vec<f32> = t
            .into_data()
            .convert::<f32>()
            .try_to_vec()
            .unwrap_or_default();
        let out = &mut self.0;
        if values.len() < QUANTISE_FROM || D < 2 {
            out.push(KIND_F32);
            out.extend_from_slice(&(values.len() as u32).to_le_bytes());
            values
                .iter()
                .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            return;
        }
        let channels = shape[0];
        let per = values.len() / channels;
        out.push(KIND_Q8);
        out.extend_from_slice(&(values.len() as u32).to_le_bytes());
        out.extend_from_slice(&(channels as u32).to_le_bytes());
        let scales: Vec<f32> = values
            .chunks(per)
            .map(|c| c.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0)
            .collect();
        scales
            .iter()
            .for_each(|s| out.extend_from_slice(&s.to_le_bytes()));
        for (chunk, &s) in values.chunks(per).zip(&scales) {
            for v in chunk {
                let q = if s > 0.0 { (v / s).round() } else { 0.0 };
                out.push(q.clamp(-127.0, 127.0) as i8 as u8);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    device: Device,
    error: Option<String>,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("weights end early (truncated file)")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<usize, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()) as usize)
    }

    fn values(&mut self, want: usize, channels_axis: usize) -> Result<Vec<f32>, String> {
        let kind = self.take(1)?[0];
        let n = self.u32()?;
        if n != want {
            return Err(format!(
                "a weight tensor holds {n} values where the network has {want}"
            ));
        }
        match kind {
            KIND_F32 => Ok(self
                .take(4 * n)?
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                .collect()),
            KIND_Q8 => {
                let channels = self.u32()?;
                if channels != channels_axis || channels == 0 || n % channels != 0 {
                    return Err(format!(
                        "{channels} quantisation scales for a tensor of {channels_axis} channels"
                    ));
                }
                let scales: Vec<f32> = self
                    .take(4 * channels)?
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
                    .collect();
                let per = n / channels;
                Ok(self
                    .take(n)?
                    .iter()
                    .enumerate()
                    .map(|(i, &q)| q as i8 as f32 * scales[i / per])
                    .collect())
            }
            other => Err(format!("unknown weight record kind {other}")),
        }
    }
}

impl ModuleMapper for Reader<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.error.is_some() {
            return param;
        }
        let (id, tensor, mapper) = param.consume();
        let shape = tensor.dims();
        match self.values(shape.iter().product(), shape[0]) {
            Ok(v) => {
                let t = Tensor::<D>::from_data(TensorData::new(v, shape), &self.device);
                Param::from_mapped_value(id, t, mapper)
            }
            Err(e) => {
                self.error = Some(e);
                Param::from_mapped_value(id, tensor, mapper)
            }
        }
    }
}
