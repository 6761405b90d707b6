"""TextDataset, PickleDataset and the image data sets on files written by the tests."""
import pickle
import zipfile

import numpy as np
import pytest
from PIL import Image

from tracegrad import datasets


def test_text_dataset(tmp_path):
    path = tmp_path / 'a.txt'
    path.write_text('one\ntwo\n\nthree\n')
    ds = datasets.TextDataset(str(path))
    assert len(ds) == 4
    assert ds[3] == 'three\n' and ds[0] == 'one\n' and ds[2] == '\n'
    assert ds[1:3] == ['two\n', '\n']
    with pytest.raises(IndexError):
        ds[4]
    ds.close()


def test_text_dataset_parallel_files_and_filter(tmp_path):
    a, b = tmp_path / 'a.txt', tmp_path / 'b.txt'
    a.write_text('x1\nx2\nx3\n')
    b.write_bytes('y1\r\nÿ2\r\ny3\r\n'.encode('latin-1'))
    ds = datasets.TextDataset([str(a), str(b)], encoding=['utf-8', 'latin-1'],
                              filter_func=lambda x, y: x != 'x2\n')
    assert len(ds) == 2
    assert ds[0] == ('x1\n', 'y1\n') and ds[1] == ('x3\n', 'y3\n')  # universal newlines
    kept = datasets.TextDataset([str(a), str(b)], encoding='latin-1', newline=['\n', ''])
    assert kept[1] == ('x2\n', 'ÿ2\r\n')
    again = pickle.loads(pickle.dumps(kept))  # reopens the files
    assert again[2] == ('x3\n', 'y3\r\n')


def test_text_dataset_errors(tmp_path):
    a, b = tmp_path / 'a.txt', tmp_path / 'b.txt'
    a.write_text('1\n2\n')
    b.write_text('1\n')
    with pytest.raises(ValueError, match='TextDataset: the files have different numbers of lines'):
        datasets.TextDataset([str(a), str(b)])
    with pytest.raises(ValueError, match='TextDataset: encoding has 3 entries for 2 files'):
        datasets.TextDataset([str(a), str(b)], encoding=['utf-8'] * 3)
    with pytest.raises(ValueError, match='TextDataset: paths is empty'):
        datasets.TextDataset([])


def test_pickle_dataset(tmp_path):
    path = tmp_path / 'data.pkl'
    examples = [(np.arange(i + 1, dtype=np.float32), i) for i in range(5)] + [{'k': 'v'}]
    with datasets.open_pickle_dataset_writer(str(path)) as writer:
        for x in examples:
            writer.write(x)
        writer.flush()
    with datasets.open_pickle_dataset(str(path)) as ds:
        assert len(ds) == 6
        assert ds[5] == {'k': 'v'}
        x, t = ds[2]
        np.testing.assert_array_equal(x, examples[2][0])
        assert t == 2
        again = pickle.loads(pickle.dumps(ds))  # the file is opened again
        np.testing.assert_array_equal(again[4][0], examples[4][0])
        again.close()


def test_pickle_dataset_after_fork(tmp_path):
    path = tmp_path / 'data.pkl'
    with datasets.open_pickle_dataset_writer(str(path)) as writer:
        for i in range(3):
            writer.write(i)
    ds = datasets.open_pickle_dataset(str(path))
    reader = ds._reader
    ds._pid = -1  # as in a forked child: the file is opened again, not shared
    assert ds[2] == 2 and ds._reader is not reader
    reader.close()
    ds.close()


def test_pickle_dataset_needs_random_access():
    class Stream:
        def seekable(self):
            return False

    with pytest.raises(ValueError, match='PickleDataset: reader must be a seekable'):
        datasets.PickleDataset(Stream())


def _write_images(folder):
    rng = np.random.RandomState(0)
    rgb = rng.randint(0, 256, (5, 7, 3)).astype(np.uint8)
    grey = rng.randint(0, 256, (4, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(folder / 'rgb.png')
    Image.fromarray(grey).save(folder / 'grey.png')
    return rgb, grey


def test_image_datasets(tmp_path):
    rgb, grey = _write_images(tmp_path)
    ds = datasets.ImageDataset(['rgb.png', 'grey.png'], root=str(tmp_path))
    assert len(ds) == 2
    assert ds[0].shape == (3, 5, 7) and ds[0].dtype == np.float32
    np.testing.assert_array_equal(ds[0], rgb.transpose(2, 0, 1))
    np.testing.assert_array_equal(ds[1], grey[None])
    (tmp_path / 'list.txt').write_text('grey.png\nrgb.png\n')
    listed = datasets.ImageDataset(str(tmp_path / 'list.txt'), root=str(tmp_path),
                                   dtype=np.uint8)
    assert listed[0].dtype == np.uint8 and listed[1].shape == (3, 5, 7)

    (tmp_path / 'pairs.txt').write_text('rgb.png 4\ngrey.png 1\n')
    labeled = datasets.LabeledImageDataset(str(tmp_path / 'pairs.txt'), root=str(tmp_path),
                                           label_dtype=np.int64)
    image, label = labeled[1]
    assert image.shape == (1, 4, 3) and label == 1 and label.dtype == np.int64
    labeled = datasets.LabeledImageDataset([('rgb.png', 2)], root=str(tmp_path))
    assert labeled[0][1] == 2 and labeled[0][1].dtype == np.int32
    (tmp_path / 'bad.txt').write_text('rgb.png 1\nrgb.png\n')
    with pytest.raises(ValueError, match=r'LabeledImageDataset: line 2 of .*bad.txt'):
        datasets.LabeledImageDataset(str(tmp_path / 'bad.txt'))


def test_zipped_image_datasets(tmp_path):
    rgb, grey = _write_images(tmp_path)
    with zipfile.ZipFile(tmp_path / 'a.zip', 'w') as z:
        z.write(tmp_path / 'rgb.png', 'img/rgb.png')
        z.writestr('img/', '')  # a folder entry is not an image
        z.write(tmp_path / 'grey.png', 'img/grey.png')
    with zipfile.ZipFile(tmp_path / 'b.zip', 'w') as z:
        z.write(tmp_path / 'grey.png', 'g.png')
    ds = datasets.ZippedImageDataset(str(tmp_path / 'a.zip'))
    assert len(ds) == 2
    np.testing.assert_array_equal(ds[0], rgb.transpose(2, 0, 1))
    np.testing.assert_array_equal(ds.get_example('img/grey.png'), grey[None])
    again = pickle.loads(pickle.dumps(ds))  # reopens the archive
    np.testing.assert_array_equal(again[1], grey[None])

    multi = datasets.MultiZippedImageDataset([str(tmp_path / 'a.zip'), str(tmp_path / 'b.zip')])
    assert len(multi) == 3
    np.testing.assert_array_equal(multi[2], grey[None])
    with pytest.raises(IndexError):
        multi[3]

    (tmp_path / 'labels.txt').write_text('img/grey.png 3\nimg/rgb.png 5\n')
    labeled = datasets.LabeledZippedImageDataset(str(tmp_path / 'a.zip'),
                                                 str(tmp_path / 'labels.txt'))
    image, label = labeled[1]
    assert image.shape == (3, 5, 7) and label == 5 and label.dtype == np.int32


def test_missing_pillow_is_explained(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, 'PIL', None)
    with pytest.raises(ImportError, match=r'ImageDataset: reading images needs Pillow'):
        datasets.ImageDataset([])
