"""the organiser's own questions and their answers; feedback after the event

Revision ID: 0011
Revises: 0010

"""
from alembic import op
import sqlalchemy as sa



revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'event_question',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('purpose', sa.String(length=500), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('audience', sa.String(length=20), nullable=False),
        sa.Column('choices', sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('yes_no', 'text', 'one', 'many')",
                           name=op.f('ck_event_question_kind')),
        sa.CheckConstraint("audience IN ('organiser', 'reach')",
                           name=op.f('ck_event_question_audience')),
        sa.CheckConstraint("audience != 'reach' OR kind IN ('one', 'many')",
                           name=op.f('ck_event_question_reach_only_for_choices')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_event_question_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_question')),
    )
    op.create_index(op.f('ix_event_question_event_id'), 'event_question', ['event_id'])
    op.create_table(
        'question_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=True),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['event_question.id'],
                                name=op.f('fk_question_answer_question_id_event_question'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'],
                                name=op.f('fk_question_answer_enrolment_id_enrolment'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_question_answer')),
        sa.UniqueConstraint('question_id', 'enrolment_id',
                            name=op.f('uq_question_answer_question_id_enrolment_id')),
    )
    op.create_index(op.f('ix_question_answer_question_id'), 'question_answer', ['question_id'])
    op.create_index(op.f('ix_question_answer_enrolment_id'), 'question_answer', ['enrolment_id'])

    op.create_table(
        'feedback_setting',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('hours_after', sa.Integer(), nullable=False),
        sa.Column('named', sa.Boolean(), nullable=False),
        sa.CheckConstraint('hours_after >= 0', name=op.f('ck_feedback_setting_hours_after')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_feedback_setting_event_id_event'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_feedback_setting')),
    )
    op.create_table(
        'feedback_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_feedback_request_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'],
                                name=op.f('fk_feedback_request_enrolment_id_enrolment'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_request')),
        sa.UniqueConstraint('enrolment_id', name=op.f('uq_feedback_request_enrolment_id')),
        sa.UniqueConstraint('token', name=op.f('uq_feedback_request_token')),
    )
    op.create_index(op.f('ix_feedback_request_event_id'), 'feedback_request', ['event_id'])
    op.create_table(
        'feedback_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('enrolment_id', sa.Integer(), nullable=True),
        sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_feedback_answer_score')),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'],
                                name=op.f('fk_feedback_answer_event_id_event'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'],
                                name=op.f('fk_feedback_answer_enrolment_id_enrolment'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_answer')),
    )
    op.create_index(op.f('ix_feedback_answer_event_id'), 'feedback_answer', ['event_id'])


def downgrade():
    op.drop_table('feedback_answer')
    op.drop_table('feedback_request')
    op.drop_table('feedback_setting')
    op.drop_table('question_answer')
    op.drop_table('event_question')
