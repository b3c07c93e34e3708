"""Blocks with several outputs (an LSTM with return_state) on the canvas: one port, and each
edge shows which output it reads; opening, editing and undoing such a model works."""

from app import commands, edits, project_io
from engine import Input, Model, layers


def _seq2seq_spec():
    enc_in, dec_in = Input((None, 2), name="enc_in"), Input((None, 2), name="dec_in")
    _, h, c = layers.LSTM(3, return_state=True, name="encoder")(enc_in)
    y = layers.LSTM(3, name="decoder")(dec_in, initial_state=[h, c])
    return Model([enc_in, dec_in], layers.Dense(2, name="head")(y)).to_spec()


def test_that_state_edges_are_drawn_from_the_block_with_their_output_shown(document, scene):
    document.load(_seq2seq_spec())
    edges = scene.edges
    assert {("encoder:1", "decoder"), ("encoder:2", "decoder"), ("dec_in", "decoder")} <= set(
        edges)
    assert edges[("encoder:2", "decoder")].source is scene.nodes["encoder"]
    assert edges[("encoder:2", "decoder")].label == "out 2"
    assert edges[("dec_in", "decoder")].label == ""
    assert document.analysis.ok
    assert document.analysis.output_shapes("encoder") == [(3,), (3,), (3,)]


def test_that_deleting_a_multi_output_block_removes_every_edge_and_undo_restores_it(
        document, scene):
    document.load(_seq2seq_spec())
    before = document.to_spec()
    document.push(edits.remove_selection(document, nodes=["encoder"]))
    assert "encoder" not in scene.nodes
    assert document.node("decoder").inputs == ["dec_in"]
    document.undo_stack.undo()
    assert document.to_spec() == before
    assert ("encoder:1", "decoder") in scene.edges


def test_that_renaming_a_multi_output_block_keeps_its_state_edges(document, scene):
    document.load(_seq2seq_spec())
    document.push(commands.Rename(document, "encoder", "enc"))
    assert document.node("decoder").inputs == ["dec_in", "enc:1", "enc:2"]
    assert ("enc:2", "decoder") in scene.edges and scene.edges[("enc:2", "decoder")].ref == "enc:2"
    assert document.analysis.ok
    document.undo_stack.undo()
    assert document.node("decoder").inputs == ["dec_in", "encoder:1", "encoder:2"]


def test_that_a_selected_state_edge_is_deleted_by_its_reference(document, scene):
    document.load(_seq2seq_spec())
    scene.edges[("encoder:1", "decoder")].setSelected(True)
    assert scene.selected_edges() == [("encoder:1", "decoder")]
    document.push(edits.remove_selection(document, edges=scene.selected_edges()))
    assert document.node("decoder").inputs == ["dec_in", "encoder:2"]
    assert not document.analysis.ok  # an LSTM needs both states: the badge says so


def test_that_the_main_window_opens_a_project_with_state_edges(window, tmp_path):
    path = str(tmp_path / "seq2seq.lcproj")
    project_io.save(path, project_io.Project(model=_seq2seq_spec()))
    assert window.project.open_path(path)
    assert window.document.node("decoder").inputs == ["dec_in", "encoder:1", "encoder:2"]
